"""Client and bidirectional streams over WebSocket from a client that is
neither Rust nor Bia's: Python's `websockets`, speaking the frames Bia
documents (one JSON message per text frame, an empty text frame to end the
client's side, `{"result":..}` / `{"error":..}` back, close 1000 or
4000 + status).

Prints one JSON object for the Rust test to check.

usage: python3 ws_client.py HOST:PORT
"""

import json
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

TIMEOUT = 10


def drain(ws):
    """Every frame until the server closes, and the close code and reason."""
    frames = []
    try:
        while True:
            frames.append(json.loads(ws.recv(timeout=TIMEOUT)))
    except ConnectionClosed:
        pass
    return frames, (ws.close_code, ws.close_reason)


def main() -> None:
    base = f"ws://{sys.argv[1]}"
    out = {}

    # Client streaming: three ticks, the end, one reply.
    with connect(f"{base}/v1/sum", open_timeout=TIMEOUT) as ws:
        for n in (1, 2, 3):
            ws.send(json.dumps({"n": n, "text": f"t{n}"}))
        ws.send("")
        out["sum"], out["sum_close"] = drain(ws)

    # Bidirectional, in lock step: each tick answered before the next goes.
    with connect(f"{base}/v1/echo", open_timeout=TIMEOUT) as ws:
        got = []
        for n in (1, 2):
            ws.send(json.dumps({"n": n, "text": f"hello {n}"}))
            got.append(json.loads(ws.recv(timeout=TIMEOUT)))
        ws.send("")
        rest, out["echo_close"] = drain(ws)
        out["echo"] = got + rest

    # A message the handler refuses: the error frame, then close 4400.
    with connect(f"{base}/v1/echo", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"n": 1, "text": "fine"}))
        ws.send(json.dumps({"n": -4, "text": "bad"}))
        out["refused"], out["refused_close"] = drain(ws)

    # A frame that is not the message: 400 CODEC naming the field.
    with connect(f"{base}/v1/sum", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"n": "not a number"}))
        out["bad_frame"], out["bad_frame_close"] = drain(ws)

    # The client goes away mid-stream; the server keeps serving the next one.
    with connect(f"{base}/v1/echo", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"n": 5, "text": "gone"}))
        json.loads(ws.recv(timeout=TIMEOUT))
    with connect(f"{base}/v1/sum", open_timeout=TIMEOUT) as ws:
        ws.send(json.dumps({"n": 7, "text": "after"}))
        ws.send("")
        out["after"], _ = drain(ws)

    print(json.dumps(out))


if __name__ == "__main__":
    main()
