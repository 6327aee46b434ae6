"""A Connect client that is neither Rust nor ours: the `connectrpc` package
(Connect's Python runtime, synchronous client), with google.protobuf messages
built from the service's descriptor set at run time (no generated code).

    python3 connect_client.py BASE_URL DESCRIPTOR_SET_FILE json|proto

Calls user.v1.User: CreateUser, GetUser, GetUser of an unknown id (its code
and the google.rpc.ErrorInfo reason), WatchUsers (server streaming) seeing a
user created while it watches, and a call with a deadline. Requests go
gzip-compressed, the package's default. Prints one JSON line.
"""

import json
import sys
import threading
import time

from connectrpc.client import ConnectClientSync
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError
from connectrpc.method import IdempotencyLevel, MethodInfo, StreamType
from google.protobuf import descriptor_pb2, message_factory
from google.rpc import error_details_pb2

base_url, set_file, codec_name = sys.argv[1:4]
files = descriptor_pb2.FileDescriptorSet.FromString(open(set_file, "rb").read()).file
types = message_factory.GetMessages(list(files))


def method(name, req, rep, stream=StreamType.UNARY):
    return MethodInfo(
        name=name,
        service_name="user.v1.User",
        input=types[f"user.v1.{req}"],
        output=types[f"user.v1.{rep}"],
        idempotency_level=IdempotencyLevel.UNKNOWN,
        stream_type=stream,
    )


create = method("CreateUser", "CreateUserRequest", "CreateUserReply")
get = method("GetUser", "GetUserRequest", "GetUserReply")
watch = method("WatchUsers", "WatchUsersRequest", "UserEvent", StreamType.SERVER_STREAM)
codec = google_protobuf_json_codec() if codec_name == "json" else google_protobuf_binary_codec()
tag = f"py-{codec_name}"
out = {}

with ConnectClientSync(base_url, codec=codec, timeout_ms=10000) as client:
    email = f"{tag}.{time.time_ns()}@example.com"
    created = client.execute_unary(request=create.input(name=tag, email=email), method=create)
    out["created"] = {"id": created.user.id, "name": created.user.name}
    got = client.execute_unary(request=get.input(id=created.user.id), method=get)
    out["got"] = got.user.email == email
    try:
        client.execute_unary(request=get.input(id="00000000-0000-4000-8000-000000000000"), method=get)
        out["missing"] = "answered"
    except ConnectError as e:
        reasons = [
            error_details_pb2.ErrorInfo.FromString(d.message_bytes).reason
            for d in e.details
            if d.type_name == "google.rpc.ErrorInfo"
        ]
        out["missing"] = {"code": e.code.name, "message": e.message, "reasons": reasons}

    # Server streaming: the stream opens, another client creates a user, its event arrives.
    def later():
        time.sleep(0.3)
        with ConnectClientSync(base_url, codec=codec) as other:
            other.execute_unary(
                request=create.input(name=f"{tag}-watched", email=f"{tag}.w.{time.time_ns()}@example.com"),
                method=create,
            )

    threading.Thread(target=later).start()
    for event in client.execute_server_stream(request=watch.input(), method=watch, timeout_ms=10000):
        out["event"] = {"name": event.user.name}
        break

    # A deadline the stream outlives: deadline_exceeded, from the server or the client.
    try:
        for _ in client.execute_server_stream(request=watch.input(), method=watch, timeout_ms=300):
            pass
        out["deadline"] = "ended"
    except ConnectError as e:
        out["deadline"] = e.code.name

print(json.dumps(out))
