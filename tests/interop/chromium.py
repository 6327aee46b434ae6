"""Headless Chromium driven through the Chrome DevTools protocol over its
WebSocket (the `websockets` package): open a page, evaluate an expression in
it (awaiting a promise), take a screenshot. Shared by the browser tests.

    python3 chromium.py CHROMIUM URL EXPRESSION [SCREENSHOT]

prints the expression's value as one JSON line.
"""

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets


async def _drive(port, url, expression, screenshot):
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
    page = next(t for t in targets if t["type"] == "page")
    async with websockets.connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
        ids = itertools.count(1)
        events = []

        async def call(method, **params):
            i = next(ids)
            await ws.send(json.dumps({"id": i, "method": method, "params": params}))
            while True:
                msg = json.loads(await ws.recv())
                if msg.get("id") == i:
                    if "error" in msg:
                        raise RuntimeError(f"{method}: {msg['error']}")
                    return msg["result"]
                events.append(msg)

        await call("Page.enable")
        await call("Runtime.enable")
        await call("Page.navigate", url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in events):
            events.append(json.loads(await ws.recv()))
        result = await call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            console = [
                " ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"])
                for e in events
                if e.get("method") == "Runtime.consoleAPICalled"
            ]
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:2000] + "\nconsole: " + "\n".join(console))
        if screenshot:
            shot = await call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        return result["result"].get("value")


def run(chromium, url, expression, screenshot=None, timeout=90):
    """Opens `url`, evaluates `expression` there and returns its value."""
    profile = tempfile.mkdtemp(prefix="bia-chromium-")
    proc = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1280,1400",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()):
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        return asyncio.run(asyncio.wait_for(_drive(port, url, expression, screenshot), timeout))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    chromium, url, expression = sys.argv[1:4]
    shot = sys.argv[4] if len(sys.argv) > 4 else None
    print(json.dumps(run(chromium, url, expression, shot)))
