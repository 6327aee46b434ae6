"""Every well-known protobuf type, and a recursive message, between a Bia
server of wkt.v1.Things and Python's own protobuf and grpcio: the reference
implementation of the descriptors, the encoding and the proto3 JSON forms.

1. Reflection: the served google/protobuf/*.proto files must be the ones the
   Python protobuf package ships; the served wkt/v1.proto must be what protoc
   builds from the exported .proto text; a descriptor pool built from the
   served files makes message classes that call the service.
2. protoc: the exported .proto files are compiled with
   `python -m grpc_tools.protoc`, and every method is called with the
   generated stubs (Forget, Everything, Echo, Encode, Pack, EchoNode,
   EncodeNode), on gRPC and on HTTP.
3. Values: for each case (edge values of every well-known type, and graphs
   of nodes), what gRPC echoes equals what was sent, through the generated
   classes and through classes built from the served descriptors.
4. JSON: Bia's HTTP JSON of each case equals json_format.MessageToJson's
   (parsed values, with one normalisation, see `drop_absent`); what Bia reads
   from Python's JSON is the same message (its protobuf bytes, from Encode,
   decoded here); what Python reads from Bia's JSON is the same message.
   JSON that is not json_format's output but that the spec says a parser
   accepts (ACCEPTED_INPUTS) Bia reads as json_format does.

Prints one line per check ("ok ..."), and "all checks passed" at the end;
on the first failure prints "FAIL ..." with both sides and exits 1.

usage: python3 wkt_client.py GRPC_HOST:PORT HTTP_URL PROTO_DIR GENERATED_DIR
"""

import base64
import difflib
import importlib
import inspect
import json
import math
import os
import subprocess
import sys
import urllib.error
import urllib.request

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, empty_pb2, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

GRPC_ADDR, HTTP_URL, PROTO_DIR, GEN_DIR = sys.argv[1:5]
TIMEOUT = 20
SERVICE = "wkt.v1.Things"

# --- reporting --------------------------------------------------------------


def ok(what):
    print(f"ok {what}", flush=True)


def fail(what, detail=""):
    print(f"FAIL {what}", flush=True)
    if detail:
        print(detail, flush=True)
    sys.exit(1)


def check(cond, what, detail=""):
    if not cond:
        fail(what, detail)
    ok(what)


def show(v):
    return json.dumps(v, indent=1, sort_keys=True, ensure_ascii=False)


# --- JSON -------------------------------------------------------------------

if "always_print_fields_with_no_presence" in inspect.signature(json_format.MessageToJson).parameters:
    PRINT_DEFAULTS = {"always_print_fields_with_no_presence": True}
else:  # protobuf < 5.26
    PRINT_DEFAULTS = {"including_default_value_fields": True}


def py_json_text(msg, pool=None):
    """Python's proto3 JSON of msg, every field without presence included
    (Bia always prints those)."""
    return json_format.MessageToJson(msg, descriptor_pool=pool, **PRINT_DEFAULTS)


def py_json(msg, pool=None):
    return json.loads(py_json_text(msg, pool))


def first_difference(a, b, path="$"):
    """Where two parsed JSON values differ (None when they are the same).

    Numbers compare by value (1 and 1.0 are one JSON number) and sign (0.0
    and -0.0 are not); a bool is never a number; everything else exactly."""
    if isinstance(a, bool) or isinstance(b, bool):
        return None if type(a) is type(b) and a == b else f"{path}: {a!r} != {b!r}"
    num = (int, float)
    if isinstance(a, num) and isinstance(b, num):
        same = a == b and math.copysign(1, a) == math.copysign(1, b)
        return None if same else f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in the {'first' if k in a else 'second'} ({a.get(k, b.get(k))!r})"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if type(a) is type(b) and a == b else f"{path}: {a!r} != {b!r}"


def is_map(field):
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def is_repeated(field):
    if hasattr(field, "is_repeated"):
        return field.is_repeated
    return field.label == field.LABEL_REPEATED


def drop_absent(obj, desc, pool):
    """Bia's JSON made comparable with Python's: the one normalisation.

    Bia prints an absent message-typed field (a wrapper, a Timestamp, a
    nested message...) as `null`; json_format leaves it out. Both read either
    form back as absent, and the proto3 JSON spec allows both. So a
    null-valued key whose field is message-typed is dropped here, in this
    message and in the messages below it (repeated fields, map values, and
    an Any's message when it is not a well-known type). Not for a
    `google.protobuf.Value` field: there `null` is a value
    (NULL_VALUE), which Python prints too. Nothing else is touched."""
    if not isinstance(obj, dict) or desc.full_name.startswith("google.protobuf."):
        return obj
    by_json = {f.json_name: f for f in desc.fields}
    out = {}
    for key, value in obj.items():
        f = by_json.get(key)
        if f is None or f.message_type is None:
            out[key] = value
            continue
        inner = f.message_type
        if is_map(f):
            vdesc = inner.fields_by_name["value"].message_type
            out[key] = {k: drop_absent(v, vdesc, pool) for k, v in value.items()} if vdesc and value else value
        elif is_repeated(f):
            out[key] = [drop_absent(v, inner, pool) for v in value] if value else value
        elif value is None and inner.full_name != "google.protobuf.Value":
            continue
        elif inner.full_name == "google.protobuf.Any" and isinstance(value, dict) and "@type" in value:
            try:
                held = pool.FindMessageTypeByName(value["@type"].rsplit("/", 1)[-1])
            except KeyError:
                out[key] = value
                continue
            out[key] = drop_absent(value, held, pool)
        else:
            out[key] = drop_absent(value, inner, pool)
    return out


# --- messages ---------------------------------------------------------------


def message_class(pool, full_name):
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(full_name))


def canonical(msg, pool):
    """msg's bytes in one canonical form, to compare two messages: maps
    sorted (deterministic), and the message in every Any decoded and
    encoded the same way. Floats stay bit for bit, so NaN equals NaN."""
    m = type(msg)()
    m.CopyFrom(msg)
    _canonicalise(m, pool)
    return m.SerializeToString(deterministic=True)


def _canonicalise(m, pool):
    if m.DESCRIPTOR.full_name == "google.protobuf.Any":
        if m.type_url:
            inner = message_class(pool, m.type_url.rsplit("/", 1)[-1]).FromString(m.value)
            _canonicalise(inner, pool)
            m.value = inner.SerializeToString(deterministic=True)
        return
    for f, v in m.ListFields():
        if f.message_type is None:
            continue
        if is_map(f):
            if f.message_type.fields_by_name["value"].message_type is not None:
                for k in v:
                    _canonicalise(v[k], pool)
        elif is_repeated(f):
            for item in v:
                _canonicalise(item, pool)
        else:
            _canonicalise(v, pool)


def same_message(a, b, pool):
    return canonical(a, pool) == canonical(b, pool)


# --- HTTP -------------------------------------------------------------------


def http(method, path, body=None):
    """(status, headers, parsed JSON) of one HTTP call to the Bia server."""
    data = None if body is None else body.encode()
    req = urllib.request.Request(HTTP_URL + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as res:
            return res.status, res.headers, json.loads(res.read())
    except urllib.error.HTTPError as e:
        fail(f"HTTP {method} {path}", f"status {e.code}: {e.read().decode(errors='replace')}\nrequest: {body}")


def http_status(method, path, body):
    """(status, body text) of one HTTP call, whatever the status."""
    req = urllib.request.Request(HTTP_URL + path, data=body.encode(), method=method)
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


# --- 1. reflection ----------------------------------------------------------

OFFICIAL_MODULES = {
    "google/protobuf/any.proto": "any_pb2",
    "google/protobuf/api.proto": "api_pb2",
    "google/protobuf/descriptor.proto": "descriptor_pb2",
    "google/protobuf/duration.proto": "duration_pb2",
    "google/protobuf/empty.proto": "empty_pb2",
    "google/protobuf/field_mask.proto": "field_mask_pb2",
    "google/protobuf/source_context.proto": "source_context_pb2",
    "google/protobuf/struct.proto": "struct_pb2",
    "google/protobuf/timestamp.proto": "timestamp_pb2",
    "google/protobuf/type.proto": "type_pb2",
    "google/protobuf/wrappers.proto": "wrappers_pb2",
}


def official_file(name):
    """The FileDescriptorProto Python's protobuf package itself was built
    with (protoc's, embedded in its generated module)."""
    module = importlib.import_module("google.protobuf." + OFFICIAL_MODULES[name])
    return descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb)


def served_files(channel):
    """Every file the server describes for wkt.v1.Things, dependencies
    first, as FileDescriptorProtos (through the reflection service)."""
    db = ProtoReflectionDescriptorDatabase(channel)
    services = db.get_services()
    check(SERVICE in services, f"reflection lists {SERVICE}", f"services: {services}")
    root = db.FindFileContainingSymbol(SERVICE)
    files, order = {}, []

    def visit(fdp):
        if fdp.name in files:
            return
        files[fdp.name] = fdp
        for dep in fdp.dependency:
            visit(db.FindFileByName(dep))
        order.append(fdp)

    visit(root)
    ok(f"reflection serves {len(order)} files: {', '.join(f.name for f in order)}")
    return order


def compare_files(what, served, reference):
    if served != reference:
        diff = difflib.unified_diff(
            str(served).splitlines(), str(reference).splitlines(), "served", "reference", lineterm="", n=4
        )
        fail(what, "\n".join(diff))
    ok(what)


def default_json_name(name):
    """protoc's json_name for a field without one: lowerCamelCase."""
    out, upper = [], False
    for c in name:
        if c == "_":
            upper = True
        else:
            out.append(c.upper() if upper else c)
            upper = False
    return "".join(out)


def without_default_json_names(fdp):
    """A copy of fdp whose fields carry no json_name equal to the default.

    protoc leaves json_name out of the descriptor it embeds in generated
    code unless the .proto sets one, and Bia's served descriptor spells the
    default out; both mean the same name (the default is the lowerCamelCase
    of the field's name), so only a json_name that differs from it stays."""
    c = descriptor_pb2.FileDescriptorProto()
    c.CopyFrom(fdp)

    def clear(messages):
        for m in messages:
            for f in m.field:
                if f.HasField("json_name") and f.json_name == default_json_name(f.name):
                    f.ClearField("json_name")
            clear(m.nested_type)

    clear(c.message_type)
    return c


def without_http_rules(fdp):
    """A copy of fdp without its google.api.http method options and the
    import of google/api/annotations.proto that they need.

    Bia's served descriptors leave the HTTP rules out (Schema::
    file_descriptor_set does not write them), while the exported .proto
    carries them; everything else must match."""
    annotations = importlib.import_module("google.api.annotations_pb2")
    c = descriptor_pb2.FileDescriptorProto()
    c.CopyFrom(fdp)
    if "google/api/annotations.proto" in c.dependency:
        deps = [d for d in c.dependency if d != "google/api/annotations.proto"]
        del c.dependency[:]
        c.dependency.extend(deps)
    for s in c.service:
        for m in s.method:
            if m.HasField("options"):
                m.options.ClearExtension(annotations.http)
                if m.options.ByteSize() == 0:
                    m.ClearField("options")
    return c


def check_reflection(channel):
    order = served_files(channel)
    names = [f.name for f in order]
    for wkt in ["any", "duration", "empty", "field_mask", "struct", "timestamp", "wrappers"]:
        check(f"google/protobuf/{wkt}.proto" in names, f"google/protobuf/{wkt}.proto is served")
    # Compared as they are, json_name and options included: nothing needs
    # normalising here.
    for fdp in order:
        if fdp.name.startswith("google/protobuf/"):
            check(fdp.name in OFFICIAL_MODULES, f"{fdp.name} is a file Python's protobuf ships")
            compare_files(f"served {fdp.name} == Python protobuf's own", fdp, official_file(fdp.name))
    pool = descriptor_pool.DescriptorPool()
    for fdp in order:
        pool.Add(fdp)
    ok("a descriptor pool builds from the served files")
    return pool, {f.name: f for f in order}


# --- 2. protoc --------------------------------------------------------------


def compile_exported():
    """Compiles every exported .proto file with protoc (grpcio-tools, which
    adds its copy of google/protobuf/*.proto to the include path) and imports
    the generated modules."""
    protos = sorted(
        os.path.relpath(os.path.join(d, f), PROTO_DIR)
        for d, _, fs in os.walk(PROTO_DIR)
        for f in fs
        if f.endswith(".proto")
    )
    check("wkt/v1.proto" in protos, "wkt/v1.proto is exported", f"exported: {protos}")
    cmd = [
        sys.executable,
        "-m",
        "grpc_tools.protoc",
        f"-I{PROTO_DIR}",
        f"--python_out={GEN_DIR}",
        f"--grpc_python_out={GEN_DIR}",
        *protos,
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    with open(os.path.join(PROTO_DIR, "wkt/v1.proto"), encoding="utf-8") as f:
        text = f.read()
    check(
        run.returncode == 0 and not run.stderr.strip(),
        f"protoc compiles the exported {', '.join(protos)} without a warning",
        f"{' '.join(cmd)}\nexit {run.returncode}\n{run.stdout}{run.stderr}\n--- wkt/v1.proto ---\n{text}",
    )
    sys.path.insert(0, GEN_DIR)
    pb2 = importlib.import_module("wkt.v1_pb2")
    pb2_grpc = importlib.import_module("wkt.v1_pb2_grpc")
    ok("the generated wkt.v1_pb2 and wkt.v1_pb2_grpc import")
    return pb2, pb2_grpc


# --- 3. the cases -----------------------------------------------------------


def cases(pb2):
    """(name, message) pairs: Everything and Node values that reach every
    well-known type's edges."""
    from google.protobuf import (
        any_pb2,
        duration_pb2,
        empty_pb2,
        field_mask_pb2,
        struct_pb2,
        timestamp_pb2,
        wrappers_pb2,
    )

    W = wrappers_pb2
    E = pb2.Everything

    def packed(msg):
        a = any_pb2.Any()
        a.Pack(msg, deterministic=True)
        return a

    def value(v):
        out = struct_pb2.Value()
        if v is None:
            out.null_value = struct_pb2.NULL_VALUE
        elif isinstance(v, bool):
            out.bool_value = v
        elif isinstance(v, (int, float)):
            out.number_value = v
        elif isinstance(v, str):
            out.string_value = v
        elif isinstance(v, list):
            out.list_value.values.extend(value(x) for x in v)
        else:
            out.struct_value.SetInParent()  # {} too is a struct
            for k, x in v.items():
                out.struct_value.fields[k].CopyFrom(value(x))
        return out

    def struct(d):
        s = struct_pb2.Struct()
        for k, x in d.items():
            s.fields[k].CopyFrom(value(x))
        return s

    def listv(items):
        return struct_pb2.ListValue(values=[value(x) for x in items])

    out = []

    # The Rust sample() (tests/src/wkt.rs), built here field by field.
    sample = E(
        mask=field_mask_pb2.FieldMask(paths=["display_name", "address.zip_code"]),
        labels=struct({"tier": "gold", "n": 2.5, "ok": True, "none": None, "deep": ["a", {"b": 1.0}]}),
        value=value("free"),
        list=listv([1.0, "two"]),
        null=struct_pb2.NULL_VALUE,
        any=packed(pb2.Note(text="hi", stars=5)),
        nothing=empty_pb2.Empty(),
        double=W.DoubleValue(value=1.5),
        float=W.FloatValue(value=-2.25),
        int64=W.Int64Value(value=-9007199254740993),
        uint64=W.UInt64Value(value=2**64 - 1),
        int32=W.Int32Value(value=0),
        uint32=W.UInt32Value(value=7),
        boolean=W.BoolValue(value=False),
        string=W.StringValue(value=""),
        bytes=W.BytesValue(value=b"\x00\xff"),
        when=timestamp_pb2.Timestamp(seconds=1),
        took=duration_pb2.Duration(seconds=1, nanos=500_000_000),
        counts=[W.Int64Value(value=1), W.Int64Value(value=2)],
        by_name={"x": value([])},
    )
    out.append(("sample", sample))

    # Every wrapper present at its zero, and every other message at its
    # empty value: an empty Struct, ListValue, FieldMask, Empty, epoch,
    # zero Duration, an Any of Empty.
    out.append(
        (
            "wrappers at zero, empty Struct/ListValue/FieldMask",
            E(
                mask=field_mask_pb2.FieldMask(),
                labels=struct_pb2.Struct(),
                value=value(0),
                list=struct_pb2.ListValue(),
                any=packed(empty_pb2.Empty()),
                nothing=empty_pb2.Empty(),
                double=W.DoubleValue(value=0.0),
                float=W.FloatValue(value=0.0),
                int64=W.Int64Value(value=0),
                uint64=W.UInt64Value(value=0),
                int32=W.Int32Value(value=0),
                uint32=W.UInt32Value(value=0),
                boolean=W.BoolValue(value=False),
                string=W.StringValue(value=""),
                bytes=W.BytesValue(value=b""),
                when=timestamp_pb2.Timestamp(),
                took=duration_pb2.Duration(),
                counts=[W.Int64Value(value=0)],
                by_name={"": value(None)},
            ),
        )
    )
    # Every message field absent. (`value` is set: Bia's `value: Value` is
    # not an Option, so Bia always has one; a NULL_VALUE is the closest.)
    out.append(("wrappers and messages absent", E(value=value(None))))

    out.append(
        (
            "NaN and Infinity in DoubleValue and FloatValue",
            E(value=value("x"), double=W.DoubleValue(value=math.nan), float=W.FloatValue(value=math.inf)),
        )
    )
    out.append(
        (
            "-Infinity in DoubleValue, NaN in FloatValue",
            E(value=value("x"), double=W.DoubleValue(value=-math.inf), float=W.FloatValue(value=math.nan)),
        )
    )
    out.append(
        (
            "extreme numbers in the wrappers",
            E(
                value=value(-1.5e300),
                double=W.DoubleValue(value=5e-324),
                # Not FLT_MAX: json_format prints it as 3.4028235e+38 and
                # then refuses that as too large for a float.
                float=W.FloatValue(value=1e38),
                int64=W.Int64Value(value=-(2**63)),
                uint64=W.UInt64Value(value=2**64 - 1),
                int32=W.Int32Value(value=-(2**31)),
                uint32=W.UInt32Value(value=2**32 - 1),
                counts=[W.Int64Value(value=2**63 - 1), W.Int64Value(value=-1), W.Int64Value(value=2**53 + 1)],
            ),
        )
    )
    out.append(
        (
            "fractions",
            E(
                value=value(0.1),
                double=W.DoubleValue(value=123456789.125),
                float=W.FloatValue(value=0.1),
                list=listv([1e21, 1e-7, 123456789.125, -0.5, 2**53 + 2]),
            ),
        )
    )
    out.append(
        (
            "negative zero in DoubleValue and FloatValue",
            E(value=value(1), double=W.DoubleValue(value=-0.0), float=W.FloatValue(value=-0.0)),
        )
    )
    out.append(("negative zero in a Value", E(value=value(-0.0), list=listv([-0.0]))))
    out.append(
        (
            "text and bytes that need escaping",
            E(
                value=value("\"quoted\" \\ \n\t\u0000 \u2028 é 😀 </script>"),
                string=W.StringValue(value="😀\u0001\u007f\u00ff"),
                bytes=W.BytesValue(value=bytes(range(256))),
                by_name={"é 😀": value("\u0000"), "a\"b": value(True)},
            ),
        )
    )
    out.append(
        (
            "bytes of every base64 padding",
            E(value=value(""), bytes=W.BytesValue(value=b"\xfb\xff"), counts=[]),
        )
    )
    out.append(
        (
            "nested Struct and ListValue values",
            E(
                labels=struct(
                    {
                        "object": {"inner": {"deeper": [1, [2, [3, {"x": None}]], {}]}, "empty": {}},
                        "list": [[], [[]], [{}], None, True, False, -3, 4.25, "s"],
                        "": "empty key",
                        "null": None,
                    }
                ),
                value=value({"a": [{"b": {"c": [None, 1, "z"]}}], "n": -0.25}),
                list=listv([{"k": [1, 2]}, [[["deep"]]], None, {}]),
                by_name={
                    "null": value(None),
                    "number": value(7),
                    "string": value("s"),
                    "bool": value(True),
                    "list": value([1, "a", None]),
                    "struct": value({"x": {"y": []}}),
                },
            ),
        )
    )
    out.append(("a Value holding a ListValue", E(value=value([None, [], {}]))))
    out.append(("a Value holding a bool", E(value=value(False))))
    out.append(
        (
            "a FieldMask with nested paths",
            E(
                value=value(1),
                mask=field_mask_pb2.FieldMask(
                    paths=["a", "display_name", "address.zip_code", "user.home_address.street_name", "a.b.c.d"]
                ),
            ),
        )
    )
    out.append(
        (
            "Timestamps and Durations at their edges",
            E(
                value=value(1),
                when=timestamp_pb2.Timestamp(seconds=-62135596800),  # 0001-01-01T00:00:00Z
                took=duration_pb2.Duration(seconds=-1, nanos=-500_000_000),
            ),
        )
    )
    out.append(
        (
            "the largest Timestamp and Duration",
            E(
                value=value(1),
                when=timestamp_pb2.Timestamp(seconds=253402300799, nanos=999_999_999),  # 9999-12-31T23:59:59.999999999Z
                took=duration_pb2.Duration(seconds=315576000000, nanos=999_999_999),
            ),
        )
    )
    out.append(
        (
            "fractions of a second: 3, 6 and 9 digits",
            E(
                value=value(1),
                when=timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=10_000_000),
                took=duration_pb2.Duration(seconds=0, nanos=1),
                counts=[],
            ),
        )
    )
    out.append(
        (
            "microseconds, and a negative Duration under a second",
            E(
                value=value(1),
                when=timestamp_pb2.Timestamp(seconds=-1, nanos=123_456_000),
                took=duration_pb2.Duration(seconds=0, nanos=-1_000),
            ),
        )
    )

    # Any, holding a message of ours and each well-known type (these go
    # under "value" in JSON, except Empty and the messages with fields).
    ts = timestamp_pb2.Timestamp(seconds=1_000_000_000, nanos=5_000_000)
    held = [
        ("wkt.v1.Note", pb2.Note(text="packed", stars=-3)),
        ("google.protobuf.Duration", duration_pb2.Duration(seconds=3)),
        ("google.protobuf.Timestamp", ts),
        ("google.protobuf.Empty", empty_pb2.Empty()),
        ("google.protobuf.FieldMask", field_mask_pb2.FieldMask(paths=["a_b.c_d", "e"])),
        ("google.protobuf.Struct", struct({"k": [1, {"v": None}]})),
        ("google.protobuf.Value", value({"k": "v"})),
        ("google.protobuf.ListValue", listv([1, "a"])),
        ("google.protobuf.Int64Value", W.Int64Value(value=-5)),
        ("google.protobuf.UInt64Value", W.UInt64Value(value=2**64 - 1)),
        ("google.protobuf.DoubleValue", W.DoubleValue(value=math.nan)),
        ("google.protobuf.FloatValue", W.FloatValue(value=-1.25)),
        ("google.protobuf.Int32Value", W.Int32Value(value=-7)),
        ("google.protobuf.UInt32Value", W.UInt32Value(value=7)),
        ("google.protobuf.BoolValue", W.BoolValue(value=True)),
        ("google.protobuf.StringValue", W.StringValue(value="s")),
        ("google.protobuf.BytesValue", W.BytesValue(value=b"\x01\x02")),
        ("google.protobuf.Any", packed(pb2.Note(text="inner", stars=1))),
        ("google.protobuf.Any of a Duration", packed(duration_pb2.Duration(seconds=-2))),
        ("google.protobuf.Int64Value at zero", W.Int64Value()),
        ("wkt.v1.Note, empty", pb2.Note()),
    ]
    for name, msg in held:
        out.append((f"an Any holding a {name}", E(value=value(1), any=packed(msg))))

    # The recursive pair: Node <-> Link.
    N, L = pb2.Node, pb2.Link
    out.append(("a Node alone", N(name="leaf")))
    out.append(("an empty Node", N()))
    mid = N(name="mid", children=[N(name="a"), N(name="b")], parent=N(name="up", parent=N(name="top")))
    tree = N(
        name="root",
        children=[mid, N(name="c", weight=W.DoubleValue(value=0.0))],
        named={"x": N(name="x", children=[N(name="deep", children=[N(name="deeper")])]), "empty": N()},
        links=[
            L(label="to mid", target=mid, since=ts),
            L(label="nowhere"),
            L(label="back", target=N(name="loop", links=[L(label="again", target=N(name="end"))])),
        ],
        attached=packed(N(name="in an any", children=[N(name="child")], weight=W.DoubleValue(value=math.inf))),
        weight=W.DoubleValue(value=-1.5),
    )
    out.append(("a graph of Nodes and Links", tree))
    chain = N(name="0")
    for i in range(1, 60):
        chain = N(name=str(i), parent=chain)
    out.append(("a chain of 60 parents", chain))
    return out


# --- 4. the checks ----------------------------------------------------------


class Methods:
    """Things' methods through the generated stub and the reflection pool."""

    def __init__(self, channel, pb2, pb2_grpc, rpool):
        self.stub = pb2_grpc.ThingsStub(channel)
        self.pb2 = pb2
        self.rpool = rpool
        self.dynamic = {}
        for method, req, rep in [
            ("Echo", "wkt.v1.Everything", "wkt.v1.Everything"),
            ("EchoNode", "wkt.v1.Node", "wkt.v1.Node"),
            ("Everything", "google.protobuf.Empty", "wkt.v1.Everything"),
        ]:
            req_cls, rep_cls = message_class(rpool, req), message_class(rpool, rep)
            self.dynamic[method] = (
                req_cls,
                channel.unary_unary(
                    f"/{SERVICE}/{method}",
                    request_serializer=req_cls.SerializeToString,
                    response_deserializer=rep_cls.FromString,
                ),
            )


def check_case(m, name, msg):
    pb2 = m.pb2
    default_pool = descriptor_pool.Default()
    node = msg.DESCRIPTOR.full_name == "wkt.v1.Node"
    echo = m.stub.EchoNode if node else m.stub.Echo
    encode = m.stub.EncodeNode if node else m.stub.Encode
    path = "/v1/nodes" if node else "/v1/everything"
    cls = type(msg)

    # gRPC, generated stubs: what comes back is what was sent.
    back = echo(msg, timeout=TIMEOUT)
    check(
        same_message(back, msg, default_pool),
        f"[{name}] gRPC echo (protoc stubs) returns what was sent",
        f"sent:\n{msg}\ngot:\n{back}",
    )
    # gRPC, classes from the served descriptors.
    rcls, call = m.dynamic["EchoNode" if node else "Echo"]
    dyn = rcls.FromString(msg.SerializeToString())
    dback = call(dyn, timeout=TIMEOUT)
    check(
        same_message(dback, dyn, m.rpool),
        f"[{name}] gRPC echo (reflection classes) returns what was sent",
        f"sent:\n{dyn}\ngot:\n{dback}",
    )
    # ... and Bia's protobuf encoding of what it decoded.
    data = encode(msg, timeout=TIMEOUT).data
    check(
        same_message(cls.FromString(data), msg, default_pool),
        f"[{name}] gRPC Encode: Bia encodes what it decoded",
        f"sent:\n{msg}\nBia encoded:\n{cls.FromString(data)}",
    )

    # JSON: Python's (the reference) and Bia's for the same message.
    text = py_json_text(msg)
    want = json.loads(text)
    # Python reads its own JSON back (a sanity check of the reference).
    try:
        mine = json_format.Parse(text, cls())
    except json_format.ParseError as e:
        fail(f"[{name}] json_format reads its own JSON back", f"{e}\n{text}")
    check(same_message(mine, msg, default_pool), f"[{name}] json_format reads its own JSON back", text)
    # Bia reads Python's JSON and answers with its own JSON of the message.
    _, _, got = http("POST", path, text)
    got_cmp = drop_absent(got, msg.DESCRIPTOR, default_pool)
    diff = first_difference(got_cmp, want)
    check(
        diff is None,
        f"[{name}] HTTP echo: Bia's JSON == json_format's",
        f"first difference (Bia, Python): {diff}\n--- Bia ---\n{show(got)}\n--- Python json_format ---\n{show(want)}",
    )
    # What Bia read from Python's JSON, as protobuf bytes, is the message.
    _, _, enc = http("POST", path + "/encoded", text)
    bia_read = cls.FromString(base64.b64decode(enc["data"]))
    check(
        same_message(bia_read, msg, default_pool),
        f"[{name}] HTTP: Bia parses json_format's JSON to the same message",
        f"sent JSON:\n{text}\nBia read:\n{bia_read}\nwant:\n{msg}",
    )
    # What Python reads from Bia's JSON is the message.
    try:
        theirs = json_format.Parse(json.dumps(got), cls())
    except json_format.ParseError as e:
        fail(f"[{name}] json_format parses Bia's JSON", f"{e}\n{show(got)}")
    check(
        same_message(theirs, msg, default_pool),
        f"[{name}] json_format parses Bia's JSON to the same message",
        f"Bia's JSON:\n{show(got)}\nPython read:\n{theirs}\nwant:\n{msg}",
    )


def check_methods(m):
    from google.protobuf import field_mask_pb2, wrappers_pb2

    pb2 = m.pb2
    # Everything takes Empty; its reply matches Python's JSON of the same
    # reply and Bia's GET.
    rep = m.stub.Everything(empty_pb2.Empty(), timeout=TIMEOUT)
    check(isinstance(rep, pb2.Everything), "gRPC Everything(Empty) answers an Everything")
    _, _, got = http("GET", "/v1/everything")
    want = py_json(rep)
    diff = first_difference(drop_absent(got, rep.DESCRIPTOR, descriptor_pool.Default()), want)
    check(
        diff is None,
        "GET /v1/everything == json_format of the gRPC Everything reply",
        f"first difference (Bia, Python): {diff}\n--- Bia ---\n{show(got)}\n--- Python ---\n{show(want)}",
    )
    req_cls, call = m.dynamic["Everything"]
    dyn = call(req_cls(), timeout=TIMEOUT)
    check(
        dyn.SerializeToString(deterministic=True) == rep.SerializeToString(deterministic=True),
        "gRPC Everything (reflection classes) answers the same",
    )

    # Pack: an Any that Bia packed, unpacked here, in both forms.
    note = pb2.Note(text="packed by Bia", stars=-9007199254740993)
    rep = m.stub.Pack(note, timeout=TIMEOUT)
    unpacked = pb2.Note()
    check(
        rep.any.type_url == "type.googleapis.com/wkt.v1.Note" and rep.any.Unpack(unpacked) and unpacked == note,
        "gRPC Pack: Bia's Any unpacks (Any.Unpack) to the Note sent",
        f"{rep}",
    )
    _, _, got = http("POST", "/v1/notes", py_json_text(note))
    want = py_json(rep)
    diff = first_difference(drop_absent(got, rep.DESCRIPTOR, descriptor_pool.Default()), want)
    check(
        diff is None,
        "HTTP Pack: Bia's JSON == json_format of the gRPC Pack reply",
        f"first difference (Bia, Python): {diff}\n--- Bia ---\n{show(got)}\n--- Python ---\n{show(want)}",
    )

    # An Any of a type the server has never heard of crosses gRPC as it is.
    from google.protobuf import any_pb2

    unknown = pb2.Everything(any=any_pb2.Any(type_url="type.googleapis.com/else.v1.Gone", value=b"\x08\x01"))
    unknown.value.string_value = "v"
    back = m.stub.Echo(unknown, timeout=TIMEOUT)
    check(
        back.SerializeToString(deterministic=True) == unknown.SerializeToString(deterministic=True),
        "gRPC Echo: an Any of a type Bia does not know comes back byte for byte",
        f"{back}",
    )

    # Forget returns Empty; a wrapper at zero, absent, and a mask reach the
    # handler (it says what it saw in `x-seen`).
    for limit, seen in [(wrappers_pb2.Int64Value(value=5), "5"), (wrappers_pb2.Int64Value(), "0"), (None, "-1")]:
        req = pb2.ForgetRequest(
            id="7", update_mask=field_mask_pb2.FieldMask(paths=["display_name", "address.zip_code"])
        )
        if limit is not None:
            req.limit.CopyFrom(limit)
        rep, call = m.stub.Forget.with_call(req, timeout=TIMEOUT)
        md = dict(call.initial_metadata())
        check(
            isinstance(rep, empty_pb2.Empty) and rep.ByteSize() == 0,
            f"gRPC Forget(limit={seen}) returns an Empty",
        )
        want_seen = f"7 {seen} display_name+address.zip_code"
        check(md.get("x-seen") == want_seen, f"gRPC Forget(limit={seen}) reaches the handler", f"{md}")
        # The same request on HTTP: the query holds its JSON values.
        j = py_json(req)
        query = "updateMask=" + j["updateMask"] + ("&limit=" + j["limit"] if "limit" in j else "")
        status, headers, body = http("DELETE", f"/v1/things/7?{query}")
        check(
            status == 200 and body == py_json(empty_pb2.Empty()) and headers.get("x-seen") == want_seen,
            f"HTTP DELETE /v1/things/7?{query}: {{}} and the same request",
            f"{status} {body} x-seen={headers.get('x-seen')!r}",
        )


# JSON that is not json_format's own output but that the proto3 JSON spec
# says a parser accepts: numbers as strings and strings as numbers, exponents,
# URL-safe and unpadded base64, RFC 3339 offsets, any number of fractional
# digits, proto field names, enum numbers and names, null for the default,
# "@type" after the fields.
ACCEPTED_INPUTS = [
    {"int64": 5, "uint64": 7, "int32": "-3", "uint32": "7"},
    {"int32": 1e2, "int64": "1e2", "uint32": "1e2"},
    {"double": "1.5", "float": "-2.25"},
    {"double": "-Infinity", "float": "NaN"},
    {"double": 1e2, "float": 2.5e-3},
    {"bytes": "-_8"},
    {"bytes": "+/8"},
    {"bytes": "AAE="},
    {"bytes": "AAE"},
    {"when": "1972-01-01T10:00:20.021+05:30"},
    {"when": "1972-01-01T10:00:20-01:00"},
    {"when": "1970-01-01T00:00:01.1Z"},
    {"when": "2000-02-29T23:59:59.123456789Z"},
    {"took": "1s"},
    {"took": "0.5s"},
    {"took": "-0.000000001s"},
    {"took": "1.10s"},
    {"took": "-3.000s"},
    {"mask": ""},
    {"mask": "a.bC,d"},
    {"null": None},
    {"null": "NULL_VALUE"},
    {"null": 0},
    {"int64": None, "labels": None, "any": None, "string": None, "when": None, "nothing": None},
    {"by_name": {"k": 1}},
    {"byName": {"k": None}},
    {"any": {"stars": "3", "@type": "type.googleapis.com/wkt.v1.Note"}},
    {"any": {"@type": "type.googleapis.com/wkt.v1.Note", "stars": 3}},
    {"any": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "1.5s"}},
    {"any": {"@type": "type.googleapis.com/google.protobuf.Empty"}},
    {"any": {"@type": "type.googleapis.com/google.protobuf.Struct", "value": {"a": [1, None]}}},
    {"value": None},
    {"value": {"a": None, "b": [{}]}},
    {"labels": {}, "list": [], "nothing": {}},
    {"counts": [1, "2", "-3"]},
    {"boolean": True, "string": "\u00e9\ud83d\ude00"},
]


def check_accepted_inputs():
    """Bia reads what json_format reads, to the same message."""
    from wkt import v1_pb2 as pb2

    for doc in ACCEPTED_INPUTS:
        # Bia's `value: Value` is not an Option: Bia always has one, present
        # (maybe empty) on the wire. So each input sets it.
        doc = {"value": "v", **doc}
        text = json.dumps(doc)
        what = f"[input {text}]"
        try:
            want = json_format.Parse(text, pb2.Everything())
        except json_format.ParseError as e:
            print(f"-- {what} not checked: json_format refuses it ({e})", flush=True)
            continue
        status, body = http_status("POST", "/v1/everything/encoded", text)
        if status != 200:
            fail(f"{what} Bia reads what json_format reads", f"HTTP {status}: {body}\njson_format read:\n{want}")
        got = pb2.Everything.FromString(base64.b64decode(json.loads(body)["data"]))
        check(
            same_message(got, want, descriptor_pool.Default()),
            f"{what} Bia reads it as json_format does",
            f"Bia read:\n{got}\njson_format read:\n{want}",
        )


def main():
    channel = grpc.insecure_channel(GRPC_ADDR)
    grpc.channel_ready_future(channel).result(timeout=10)

    rpool, served = check_reflection(channel)
    pb2, pb2_grpc = compile_exported()
    # The served description of wkt/v1.proto is what protoc builds from the
    # exported text.
    compiled = descriptor_pb2.FileDescriptorProto.FromString(pb2.DESCRIPTOR.serialized_pb)
    compare_files(
        "served wkt/v1.proto == protoc's build of the exported wkt/v1.proto (but HTTP rules and default json_names)",
        without_default_json_names(served["wkt/v1.proto"]),
        without_default_json_names(without_http_rules(compiled)),
    )

    m = Methods(channel, pb2, pb2_grpc, rpool)
    check_methods(m)
    all_cases = cases(pb2)
    sample = dict(all_cases)["sample"]
    rep = m.stub.Everything(empty_pb2.Empty(), timeout=TIMEOUT)
    check(same_message(rep, sample, descriptor_pool.Default()), "Everything's reply is the Rust sample()", f"{rep}")
    for name, msg in all_cases:
        check_case(m, name, msg)
    check_accepted_inputs()
    channel.close()
    print("all checks passed", flush=True)


if __name__ == "__main__":
    main()
