"""Drive the built site in Debian's Chromium (Playwright), as a reader would.

Shared by tests/test_browser.py and benchmarks/search.py: serve a folder on
localhost, launch Chromium, record every request, type into Material's search box
and read the results.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Quiet, offline-friendly flags: without them Chromium floods the closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
]


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (requirements.txt)"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve `folder` on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Reader:
    """One browser tab plus everything it requested and every console error."""

    def __init__(self, browser, base_url: str, color_scheme: str = "light"):
        self.base_url = base_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign_requests(self) -> list[str]:
        """Requests to anything but the site's own origin (file:// counts as own)."""
        own = urlparse(self.base_url)
        return [
            u
            for u in self.requests
            if not (
                urlparse(u).scheme in ("file", "data", "blob")
                or (urlparse(u).hostname, urlparse(u).port) == (own.hostname, own.port)
            )
        ]

    def open(self, path: str = ""):
        self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("load")

    def search(self, query: str, *, typed: bool = True, how: str | None = None) -> list[str]:
        """Enter `query` into the search box as a reader does; return the result pages'
        paths, best first ([] for the empty state: see `empty_state()`).

        `how`: "type" (the default when `typed`): ASCII key by key, each run of Chinese
        (or other non-ASCII) text committed at once as an input method does (CDP
        `Input.insertText`: an input event, no key event); "paste": the whole text at
        once, an input event and no key event at all. No key is pressed afterwards."""
        how = how or ("type" if typed else "paste")
        page = self.page
        page.click("label.md-header__button[for=__search]") if page.is_visible(
            "label.md-header__button[for=__search]"
        ) else page.click(".md-search__input")
        box = page.locator("input.md-search__input")
        box.fill("")  # an input event: the query is cleared
        page.wait_for_selector("li.md-search-result__item", state="detached")  # no stale results
        if how == "type":
            for run in re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]+", query):
                if run.isascii():
                    box.press_sequentially(run)
                else:
                    page.keyboard.insert_text(run)
        else:
            box.evaluate(PASTE_JS, query)
        if query.strip():
            with contextlib.suppress(Exception):  # a query may rightly find nothing
                page.wait_for_function(RESULTS_SHOWN_JS, timeout=5000)
        wait_until_settled(page, ".md-search-result", quiet_ms=150)
        hrefs = page.eval_on_selector_all(  # the first link of each result is its page
            "li.md-search-result__item > a.md-search-result__link:first-child", "els => els.map(e => e.href)"
        )
        return [self.page_path(h) for h in hrefs]

    def empty_state(self) -> bool:
        """The search says plainly that no page answers the query, and offers the question
        index and the page on proposing a question."""
        return self.page.evaluate(EMPTY_STATE_JS)

    def page_path(self, url: str) -> str:
        """`http://host/qa/x.html#a` -> `qa/x` (the docs page, without .md)."""
        path = urlparse(url).path
        base = urlparse(self.base_url).path
        path = path[len(base) :] if path.startswith(base) else path.lstrip("/")
        path = path.removesuffix(".html").removesuffix("/")
        return path or "index"

    def close(self):
        self.context.close()


NONE = "没有直接回答这个问题的页面"
RESULTS_SHOWN_JS = """() => document.querySelector('li.md-search-result__item')
  || /没有直接回答|没有找到|No matching/.test(document.querySelector('.md-search-result__meta').textContent)"""
EMPTY_STATE_JS = """() => !document.querySelector('li.md-search-result__item')
  && document.querySelector('.md-search-result__meta').textContent.trim() === '没有直接回答这个问题的页面'
  && !!document.querySelector('.qa-search-empty:not([hidden]) a[href$="faq.html"]')
  && !!document.querySelector('.qa-search-empty:not([hidden]) a[href$="contributing.html"]')"""
# A paste with the mouse: the text arrives at once, with an input event and no key event.
PASTE_JS = """(box, text) => {
  box.focus();
  box.value = text;
  box.dispatchEvent(new InputEvent('input', {inputType: 'insertFromPaste', data: text, bubbles: true}));
}"""

SETTLE_JS = """([selector, quiet]) => new Promise(resolve => {
  const target = document.querySelector(selector);
  const meta = document.querySelector('.md-search-result__meta');
  let timer;
  const done = () => {
    // still loading the index: keep waiting
    if (meta && /初始化|Initializing/.test(meta.textContent)) { timer = setTimeout(done, quiet); return; }
    observer.disconnect(); resolve();
  };
  const observer = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(done, quiet); });
  observer.observe(target, {childList: true, subtree: true, characterData: true});
  timer = setTimeout(done, quiet);
})"""


def wait_until_settled(page, selector: str, quiet_ms: int = 250):
    """Wait until `selector` has not changed for `quiet_ms` (search is asynchronous)."""
    page.evaluate(SETTLE_JS, [selector, quiet_ms])
