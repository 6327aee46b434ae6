"""An OTLP/gRPC receiver that is neither Rust nor Bia's: the TraceService and
MetricsService of the `opentelemetry-proto` package, served by Python grpcio
on a free 127.0.0.1 port. Each export it receives is appended to OUT as one
JSON line (`{"kind": "traces"|"metrics", "request": <proto3 JSON>}`).

usage: python3 otlp_receiver.py OUT [answer|hang]

prints `port=<port>` once serving. `hang` accepts every export and never
answers (a collector that black-holes requests).
"""

import json
import sys
import threading
from concurrent import futures

import grpc
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import (
    trace_service_pb2,
    trace_service_pb2_grpc,
)

LOCK = threading.Lock()
HANG = threading.Event()


class Recorder:
    def __init__(self, out: str, hang: bool) -> None:
        self.out = out
        self.hang = hang

    def record(self, kind: str, request) -> None:
        line = json.dumps({"kind": kind, "request": json_format.MessageToDict(request)})
        with LOCK, open(self.out, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        if self.hang:
            # Never answers: the client's deadline ends the call.
            HANG.wait()


class Traces(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def Export(self, request, context):
        self.recorder.record("traces", request)
        return trace_service_pb2.ExportTraceServiceResponse()


class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def Export(self, request, context):
        self.recorder.record("metrics", request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


def main() -> None:
    out = sys.argv[1]
    hang = len(sys.argv) > 2 and sys.argv[2] == "hang"
    recorder = Recorder(out, hang)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(recorder), server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(recorder), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"port={port}", flush=True)
    # Until the test kills it (or closes stdin).
    try:
        sys.stdin.read()
    finally:
        HANG.set()
        server.stop(0)


if __name__ == "__main__":
    main()
