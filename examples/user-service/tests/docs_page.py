"""Opens the user-service's /docs page in headless Chromium and uses it as a
person would: waits for Swagger UI to list the operations, opens CreateUser,
types a request body, presses Execute and reads the reply the page shows.
Then takes a screenshot of the page.

Driven through the Chrome DevTools protocol by tests/interop/chromium.py,
so nothing but Chromium and Python (with `websockets`) is needed.

    python3 docs_page.py CHROMIUM URL SCREENSHOT NAME EMAIL

Prints one JSON line: {"operations": [...], "status": "200", "body": "..."}.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "interop"))
import chromium  # noqa: E402  (tests/interop/chromium.py: the DevTools driver)

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


def main():
    browser, url, screenshot, name, email = sys.argv[1:6]
    body = json.dumps({"name": name, "email": email})
    shown = chromium.run(browser, url, f"{SCRIPT}({json.dumps(body)})", screenshot)
    print(json.dumps(shown))


if __name__ == "__main__":
    main()
