"""The gRPC project's standard interop test cases, run by a stock Python
grpcio client against a server of grpc.testing.TestService.

The client declares the grpc.testing messages itself (names, field numbers and
types as the gRPC project publishes them in test.proto, messages.proto and
empty.proto), so it checks the server against the published contract, not
against the server's own description; it also compares that description
(read through reflection) with its own, field by field.

Each case follows the interop test descriptions: empty_unary, large_unary,
client_streaming, server_streaming, ping_pong, empty_stream,
timeout_on_sleeping_server, cancel_after_begin, cancel_after_first_response,
status_code_and_message, special_status_message, custom_metadata,
unimplemented_method, unimplemented_service.

Prints one JSON object: {"cases": {name: {"ok": bool, "error": text}},
"schema": [mismatch, ...]}.

usage: python3 grpc_testing_client.py HOST:PORT
"""

import json
import queue
import sys
import traceback

import grpc
from google.protobuf import descriptor_pb2, message_factory
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

F = descriptor_pb2.FieldDescriptorProto
PACKAGE = "grpc.testing"

# (field name, number, type, message or enum type or None, repeated)
MESSAGES = {
    "Empty": [],
    "BoolValue": [("value", 1, F.TYPE_BOOL, None, False)],
    "Payload": [
        ("type", 1, F.TYPE_ENUM, "PayloadType", False),
        ("body", 2, F.TYPE_BYTES, None, False),
    ],
    "EchoStatus": [
        ("code", 1, F.TYPE_INT32, None, False),
        ("message", 2, F.TYPE_STRING, None, False),
    ],
    "TestOrcaReport": [
        ("cpu_utilization", 1, F.TYPE_DOUBLE, None, False),
        ("memory_utilization", 2, F.TYPE_DOUBLE, None, False),
        ("request_cost", 3, "map", F.TYPE_DOUBLE, False),
        ("utilization", 4, "map", F.TYPE_DOUBLE, False),
    ],
    "SimpleRequest": [
        ("response_type", 1, F.TYPE_ENUM, "PayloadType", False),
        ("response_size", 2, F.TYPE_INT32, None, False),
        ("payload", 3, F.TYPE_MESSAGE, "Payload", False),
        ("fill_username", 4, F.TYPE_BOOL, None, False),
        ("fill_oauth_scope", 5, F.TYPE_BOOL, None, False),
        ("response_compressed", 6, F.TYPE_MESSAGE, "BoolValue", False),
        ("response_status", 7, F.TYPE_MESSAGE, "EchoStatus", False),
        ("expect_compressed", 8, F.TYPE_MESSAGE, "BoolValue", False),
        ("fill_server_id", 9, F.TYPE_BOOL, None, False),
        ("fill_grpclb_route_type", 10, F.TYPE_BOOL, None, False),
        ("orca_per_query_report", 11, F.TYPE_MESSAGE, "TestOrcaReport", False),
    ],
    "SimpleResponse": [
        ("payload", 1, F.TYPE_MESSAGE, "Payload", False),
        ("username", 2, F.TYPE_STRING, None, False),
        ("oauth_scope", 3, F.TYPE_STRING, None, False),
        ("server_id", 4, F.TYPE_STRING, None, False),
        ("grpclb_route_type", 5, F.TYPE_ENUM, "GrpclbRouteType", False),
        ("hostname", 6, F.TYPE_STRING, None, False),
    ],
    "StreamingInputCallRequest": [
        ("payload", 1, F.TYPE_MESSAGE, "Payload", False),
        ("expect_compressed", 2, F.TYPE_MESSAGE, "BoolValue", False),
    ],
    "StreamingInputCallResponse": [
        ("aggregated_payload_size", 1, F.TYPE_INT32, None, False),
    ],
    "ResponseParameters": [
        ("size", 1, F.TYPE_INT32, None, False),
        ("interval_us", 2, F.TYPE_INT32, None, False),
        ("compressed", 3, F.TYPE_MESSAGE, "BoolValue", False),
    ],
    "StreamingOutputCallRequest": [
        ("response_type", 1, F.TYPE_ENUM, "PayloadType", False),
        ("response_parameters", 2, F.TYPE_MESSAGE, "ResponseParameters", True),
        ("payload", 3, F.TYPE_MESSAGE, "Payload", False),
        ("response_status", 7, F.TYPE_MESSAGE, "EchoStatus", False),
        ("orca_oob_report", 8, F.TYPE_MESSAGE, "TestOrcaReport", False),
    ],
    "StreamingOutputCallResponse": [
        ("payload", 1, F.TYPE_MESSAGE, "Payload", False),
    ],
}

ENUMS = {
    "PayloadType": [("COMPRESSABLE", 0)],
    "GrpclbRouteType": [
        ("GRPCLB_ROUTE_TYPE_UNKNOWN", 0),
        ("GRPCLB_ROUTE_TYPE_FALLBACK", 1),
        ("GRPCLB_ROUTE_TYPE_BACKEND", 2),
    ],
}


def published_file():
    """The grpc.testing messages as a FileDescriptorProto."""
    fd = descriptor_pb2.FileDescriptorProto(
        name="published/grpc_testing.proto", package=PACKAGE, syntax="proto3"
    )
    for name, values in ENUMS.items():
        e = fd.enum_type.add(name=name)
        for vname, number in values:
            e.value.add(name=vname, number=number)
    for name, fields in MESSAGES.items():
        m = fd.message_type.add(name=name)
        for fname, number, typ, ref, repeated in fields:
            f = m.field.add(name=fname, number=number)
            f.label = F.LABEL_REPEATED if repeated else F.LABEL_OPTIONAL
            if typ == "map":
                entry = "".join(p.capitalize() for p in fname.split("_")) + "Entry"
                nested = m.nested_type.add(name=entry)
                nested.options.map_entry = True
                nested.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
                nested.field.add(name="value", number=2, type=ref, label=F.LABEL_OPTIONAL)
                f.type = F.TYPE_MESSAGE
                f.label = F.LABEL_REPEATED
                f.type_name = f".{PACKAGE}.{name}.{entry}"
            else:
                f.type = typ
                if ref:
                    f.type_name = f".{PACKAGE}.{ref}"
    return fd


def classes():
    pool = DescriptorPool()
    pool.AddSerializedFile(published_file().SerializeToString())
    return pool, {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{PACKAGE}.{name}"))
        for name in MESSAGES
    }


POOL, M = classes()


def shape(f):
    """What the wire and JSON forms of a field depend on."""
    repeated = f.is_repeated if hasattr(f, "is_repeated") else f.label == F.LABEL_REPEATED
    kind = f.message_type and f.message_type.name, f.enum_type and f.enum_type.name
    return (f.number, f.type, repeated, kind)


def compare_schema(channel):
    """Differences between the published messages and the server's own
    descriptors (read through reflection)."""
    served = DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    out = []
    service = served.FindServiceByName(f"{PACKAGE}.TestService")
    want_methods = {
        "EmptyCall": (False, False, "Empty", "Empty"),
        "UnaryCall": (False, False, "SimpleRequest", "SimpleResponse"),
        "CacheableUnaryCall": (False, False, "SimpleRequest", "SimpleResponse"),
        "StreamingOutputCall": (False, True, "StreamingOutputCallRequest", "StreamingOutputCallResponse"),
        "StreamingInputCall": (True, False, "StreamingInputCallRequest", "StreamingInputCallResponse"),
        "FullDuplexCall": (True, True, "StreamingOutputCallRequest", "StreamingOutputCallResponse"),
        "HalfDuplexCall": (True, True, "StreamingOutputCallRequest", "StreamingOutputCallResponse"),
        "UnimplementedCall": (False, False, "Empty", "Empty"),
    }
    for name, (cs, ss, req, rep) in want_methods.items():
        m = service.methods_by_name.get(name)
        got = m and (m.client_streaming, m.server_streaming, m.input_type.name, m.output_type.name)
        if got != (cs, ss, req, rep):
            out.append(f"method {name}: served {got}, published {(cs, ss, req, rep)}")
    for name in MESSAGES:
        mine = POOL.FindMessageTypeByName(f"{PACKAGE}.{name}")
        theirs = served.FindMessageTypeByName(f"{PACKAGE}.{name}")
        for f in mine.fields:
            g = theirs.fields_by_name.get(f.name)
            if g is None:
                out.append(f"{name}.{f.name}: missing")
                continue
            a = shape(f)
            b = shape(g)
            if a != b:
                out.append(f"{name}.{f.name}: served {b}, published {a}")
        extra = set(theirs.fields_by_name) - set(mine.fields_by_name)
        if extra:
            out.append(f"{name}: fields not published: {sorted(extra)}")
    for name, values in ENUMS.items():
        theirs = served.FindEnumTypeByName(f"{PACKAGE}.{name}")
        got = [(v.name, v.number) for v in theirs.values]
        if got != values:
            out.append(f"enum {name}: served {got}, published {values}")
    return out


class Pipe:
    """A request iterator the test feeds one message at a time."""

    def __init__(self):
        self._q = queue.Queue()

    def add(self, msg):
        self._q.put(msg)

    def close(self):
        self._q.put(None)

    def __iter__(self):
        return self

    def __next__(self):
        item = self._q.get()
        if item is None:
            raise StopIteration
        return item

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Stub:
    def __init__(self, channel):
        def m(name, kind, req, rep, service="TestService"):
            return kind(
                f"/{PACKAGE}.{service}/{name}",
                request_serializer=M[req].SerializeToString,
                response_deserializer=M[rep].FromString,
            )

        self.EmptyCall = m("EmptyCall", channel.unary_unary, "Empty", "Empty")
        self.UnaryCall = m("UnaryCall", channel.unary_unary, "SimpleRequest", "SimpleResponse")
        self.StreamingOutputCall = m(
            "StreamingOutputCall", channel.unary_stream, "StreamingOutputCallRequest", "StreamingOutputCallResponse"
        )
        self.StreamingInputCall = m(
            "StreamingInputCall", channel.stream_unary, "StreamingInputCallRequest", "StreamingInputCallResponse"
        )
        self.FullDuplexCall = m(
            "FullDuplexCall", channel.stream_stream, "StreamingOutputCallRequest", "StreamingOutputCallResponse"
        )
        self.UnimplementedCall = m("UnimplementedCall", channel.unary_unary, "Empty", "Empty")
        self.UnimplementedServiceCall = m(
            "UnimplementedCall", channel.unary_unary, "Empty", "Empty", service="UnimplementedService"
        )


def zeros(n):
    return b"\x00" * n


def payload(n):
    return M["Payload"](type=0, body=zeros(n))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def expect_code(fn, code, details=None):
    try:
        fn()
    except grpc.RpcError as e:
        check(e.code() == code, f"expected {code}, got {e.code()}: {e.details()!r}")
        if details is not None:
            check(e.details() == details, f"expected details {details!r}, got {e.details()!r}")
        return
    raise AssertionError(f"expected {code}, the call succeeded")


TIMEOUT = 20


def empty_unary(stub):
    rep = stub.EmptyCall(M["Empty"](), timeout=TIMEOUT)
    check(isinstance(rep, M["Empty"]), f"reply is {type(rep)}")
    check(rep.ByteSize() == 0, "the empty reply is not empty")


def large_unary(stub):
    req = M["SimpleRequest"](response_type=0, response_size=314159, payload=payload(271828))
    rep = stub.UnaryCall(req, timeout=TIMEOUT)
    check(len(rep.payload.body) == 314159, f"payload of {len(rep.payload.body)} bytes")
    check(rep.payload.body == zeros(314159), "the payload is not zeros")


def client_streaming(stub):
    reqs = (M["StreamingInputCallRequest"](payload=payload(n)) for n in (27182, 8, 1828, 45904))
    rep = stub.StreamingInputCall(reqs, timeout=TIMEOUT)
    check(rep.aggregated_payload_size == 74922, f"aggregated {rep.aggregated_payload_size}")


def server_streaming(stub):
    sizes = (31415, 9, 2653, 58979)
    req = M["StreamingOutputCallRequest"](
        response_type=0, response_parameters=[M["ResponseParameters"](size=n) for n in sizes]
    )
    got = [len(r.payload.body) for r in stub.StreamingOutputCall(req, timeout=TIMEOUT)]
    check(got == list(sizes), f"reply sizes {got}")


def ping_pong(stub):
    pairs = ((31415, 27182), (9, 8), (2653, 1828), (58979, 45904))
    with Pipe() as pipe:
        replies = stub.FullDuplexCall(pipe, timeout=TIMEOUT)
        for size, body in pairs:
            pipe.add(
                M["StreamingOutputCallRequest"](
                    response_type=0,
                    response_parameters=[M["ResponseParameters"](size=size)],
                    payload=payload(body),
                )
            )
            rep = next(replies)
            check(len(rep.payload.body) == size, f"reply of {len(rep.payload.body)} bytes, want {size}")
    rest = list(replies)
    check(rest == [], f"{len(rest)} replies after half-close")


def empty_stream(stub):
    got = list(stub.FullDuplexCall(iter([]), timeout=TIMEOUT))
    check(got == [], f"{len(got)} replies to no request")


def timeout_on_sleeping_server(stub):
    with Pipe() as pipe:
        replies = stub.FullDuplexCall(pipe, timeout=0.001)
        pipe.add(M["StreamingOutputCallRequest"](payload=payload(27182)))
        expect_code(lambda: next(replies), grpc.StatusCode.DEADLINE_EXCEEDED)


def cancel_after_begin(stub):
    with Pipe() as pipe:
        future = stub.StreamingInputCall.future(pipe, timeout=TIMEOUT)
        future.cancel()
        check(future.cancelled(), "the call is not cancelled")
        check(future.code() == grpc.StatusCode.CANCELLED, f"code {future.code()}")


def cancel_after_first_response(stub):
    with Pipe() as pipe:
        replies = stub.FullDuplexCall(pipe, timeout=TIMEOUT)
        pipe.add(
            M["StreamingOutputCallRequest"](
                response_type=0,
                response_parameters=[M["ResponseParameters"](size=31415)],
                payload=payload(27182),
            )
        )
        rep = next(replies)
        check(len(rep.payload.body) == 31415, f"reply of {len(rep.payload.body)} bytes")
        replies.cancel()
        expect_code(lambda: next(replies), grpc.StatusCode.CANCELLED)


def status_code_and_message(stub):
    code, message = 2, "test status message"
    status = M["EchoStatus"](code=code, message=message)
    expect_code(
        lambda: stub.UnaryCall(M["SimpleRequest"](response_status=status), timeout=TIMEOUT),
        grpc.StatusCode.UNKNOWN,
        message,
    )
    req = M["StreamingOutputCallRequest"](response_status=status)
    expect_code(lambda: list(stub.FullDuplexCall(iter([req]), timeout=TIMEOUT)), grpc.StatusCode.UNKNOWN, message)


def special_status_message(stub):
    message = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
    status = M["EchoStatus"](code=2, message=message)
    expect_code(
        lambda: stub.UnaryCall(M["SimpleRequest"](response_status=status), timeout=TIMEOUT),
        grpc.StatusCode.UNKNOWN,
        message,
    )


def custom_metadata(stub):
    initial = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
    trailing = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")
    metadata = (initial, trailing)

    def has(md, kv, where):
        check(kv in [(m.key, m.value) for m in md or ()], f"{kv[0]} not in the {where} metadata: {md}")

    req = M["SimpleRequest"](response_size=314159, payload=payload(271828))
    rep, call = stub.UnaryCall.with_call(req, metadata=metadata, timeout=TIMEOUT)
    check(len(rep.payload.body) == 314159, "unary reply size")
    has(call.initial_metadata(), initial, "unary initial")
    has(call.trailing_metadata(), trailing, "unary trailing")

    req = M["StreamingOutputCallRequest"](
        response_parameters=[M["ResponseParameters"](size=314159)], payload=payload(271828)
    )
    replies = stub.FullDuplexCall(iter([req]), metadata=metadata, timeout=TIMEOUT)
    sizes = [len(r.payload.body) for r in replies]
    check(sizes == [314159], f"duplex reply sizes {sizes}")
    has(replies.initial_metadata(), initial, "duplex initial")
    has(replies.trailing_metadata(), trailing, "duplex trailing")


def unimplemented_method(stub):
    expect_code(lambda: stub.UnimplementedCall(M["Empty"](), timeout=TIMEOUT), grpc.StatusCode.UNIMPLEMENTED)


def unimplemented_service(stub):
    expect_code(
        lambda: stub.UnimplementedServiceCall(M["Empty"](), timeout=TIMEOUT), grpc.StatusCode.UNIMPLEMENTED
    )


CASES = [
    empty_unary,
    large_unary,
    client_streaming,
    server_streaming,
    ping_pong,
    empty_stream,
    timeout_on_sleeping_server,
    cancel_after_begin,
    cancel_after_first_response,
    status_code_and_message,
    special_status_message,
    custom_metadata,
    unimplemented_method,
    unimplemented_service,
]


def main() -> None:
    channel = grpc.insecure_channel(sys.argv[1])
    grpc.channel_ready_future(channel).result(timeout=10)
    stub = Stub(channel)
    out = {"cases": {}, "schema": compare_schema(channel)}
    for case in CASES:
        try:
            case(stub)
            out["cases"][case.__name__] = {"ok": True, "error": ""}
        except Exception:  # noqa: BLE001 - every failure is reported, not raised
            out["cases"][case.__name__] = {"ok": False, "error": traceback.format_exc()}
    channel.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
