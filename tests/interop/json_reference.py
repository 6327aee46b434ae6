"""The reference printer of proto3 JSON: Python protobuf's json_format, over
messages built from a descriptor set (no generated code).

usage: python3 json_reference.py SET CORPUS MESSAGE

SET is a serialized FileDescriptorSet, CORPUS a file of messages in the
binary encoding, each after a 4-byte big-endian length, MESSAGE the full
name of their type. Prints one JSON document per message, one per line,
with the fields that have no presence printed at their defaults too.
"""

import json
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory


def main() -> None:
    set_path, corpus_path, name = sys.argv[1:4]
    files = descriptor_pb2.FileDescriptorSet()
    with open(set_path, "rb") as f:
        files.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    pending = list(files.file)
    # Add files once their dependencies are in (the set is in no set order).
    while pending:
        added = False
        for file in list(pending):
            try:
                pool.Add(file)
            except Exception:  # a dependency is not in yet
                continue
            pending.remove(file)
            added = True
        if not added:
            raise SystemExit(f"cannot add {[f.name for f in pending]}")
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
    with open(corpus_path, "rb") as f:
        data = f.read()
    at = 0
    while at < len(data):
        (size,) = struct.unpack(">I", data[at : at + 4])
        msg = cls.FromString(data[at + 4 : at + 4 + size])
        at += 4 + size
        print(json.dumps(json.loads(to_json(msg))))


def to_json(msg) -> str:
    """Fields without presence printed even at their defaults, as Bia (and
    Kratos, with protojson's EmitUnpopulated) writes them."""
    try:
        return json_format.MessageToJson(msg, indent=None, always_print_fields_with_no_presence=True)
    except TypeError:  # protobuf before 5.26 names the option differently
        return json_format.MessageToJson(msg, indent=None, including_default_value_fields=True)


if __name__ == "__main__":
    main()
