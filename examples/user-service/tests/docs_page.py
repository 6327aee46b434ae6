"""Opens the user-service's /docs page in headless Chromium and uses it as a
person would: waits for Swagger UI to list the operations, opens CreateUser,
types a request body, presses Execute and reads the reply the page shows.
Then takes a screenshot of the page.

Driven through the Chrome DevTools protocol over its WebSocket (the
`websockets` package), so nothing but Chromium and Python is needed.

    python3 docs_page.py CHROMIUM URL SCREENSHOT NAME EMAIL

Prints one JSON line: {"operations": [...], "status": "200", "body": "..."}.
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

# Runs in the page: resolves to what the page shows after the call.
SCRIPT = r"""
(async (body) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (what, f, ms = 30000) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v) return v;
      if (Date.now() > end) throw new Error('the page never showed ' + what + (window.__shown ? window.__shown() : ''));
      await sleep(100);
    }
  };
  await until('the operations', () => document.querySelectorAll('.opblock').length >= 3);
  const operations = [...document.querySelectorAll('.opblock-summary-operation-id')]
    .map((e) => e.textContent.trim());
  const block = await until('CreateUser', () =>
    [...document.querySelectorAll('.opblock')].find((b) =>
      b.querySelector('.opblock-summary-operation-id')?.textContent.trim() === 'CreateUser'));
  const opened = () => document.getElementById(block.id) || block;
  // Expand it (clicked again until it shows as expanded: a click that lands
  // while the page still renders is lost).
  let clicks = 0;
  await until('CreateUser expanded', () => {
    const control = opened().querySelector('.opblock-summary-control');
    if (control.getAttribute('aria-expanded') === 'true') return true;
    if (clicks++ % 10 === 0) control.click();
    return false;
  });
  // What the block shows, in the error of a step that never happened.
  window.__shown = () => ' ' + opened().outerHTML.slice(0, 2500);
  // Open for trying (the page is set to, but older Swagger UIs ask for a click).
  const editor = () => opened().querySelector('textarea.body-param__text');
  const tryOut = await until('the request body editor', () => editor() || opened().querySelector('button.try-out__btn'));
  if (!editor()) tryOut.click();
  const textarea = await until('the request body editor', editor);
  // Swagger UI is a React page: set the value as typing would.
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
  setter.call(textarea, body);
  textarea.dispatchEvent(new Event('input', { bubbles: true }));
  textarea.dispatchEvent(new Event('change', { bubbles: true }));
  await sleep(200);
  opened().querySelector('button.execute').click();
  const status = await until('the reply', () =>
    opened().querySelector('.live-responses-table .response .response-col_status'));
  await sleep(200);
  const shown = opened().querySelector('.live-responses-table .response-col_description pre, .live-responses-table pre.microlight');
  return { operations, status: status.textContent.trim(), body: shown ? shown.textContent : '' };
})
"""


async def drive(port, url, body, screenshot):
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
                events.append(msg.get("method"))

        async def wait_event(name):
            while name not in events:
                msg = json.loads(await ws.recv())
                events.append(msg.get("method"))

        await call("Page.enable")
        await call("Page.navigate", url=url)
        await wait_event("Page.loadEventFired")
        result = await call(
            "Runtime.evaluate",
            expression=f"{SCRIPT}({json.dumps(body)})",
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:2000])
        shot = await call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return result["result"]["value"]


def main():
    chromium, url, screenshot, name, email = sys.argv[1:6]
    profile = tempfile.mkdtemp(prefix="bia-docs-chromium-")
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
                sys.exit("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        body = json.dumps({"name": name, "email": email})
        shown = asyncio.run(asyncio.wait_for(drive(port, url, body, screenshot), 90))
        print(json.dumps(shown))
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
