"""Search benchmark: index size, top-3 hits per query kind, and query latency in Chromium
over tests/search_queries.yaml and tests/search_queries_blind.yaml.

    .venv/bin/python -m benchmarks.search           # builds the site, prints tables
    .venv/bin/python -m benchmarks.search --site DIR  # an already built site

Latency is measured inside the page: from the input event that changes the query (what a
keystroke, a paste or an IME commit fires) until the results (or the empty state) are on
screen. The first query also loads the index; it is reported on its own line and left out
of the median and worst. Hits are counted as tests/test_browser.py counts them (typed as a
reader types, error lines pasted; `page: none` wants the empty state), `miss:` or not.
"""

from __future__ import annotations

import gzip
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from engine.worker import cpu_model
from tests.browser import Reader, chromium, serve

ROOT = Path(__file__).resolve().parent.parent

MEASURE_JS = """async (query) => {
  const input = document.querySelector('input.md-search__input');
  const keyup = () => input.dispatchEvent(new InputEvent('input', {inputType: 'insertText', bubbles: true}));
  const until = (test) => new Promise(resolve => {
    const tick = () => test() ? resolve() : requestAnimationFrame(tick); tick(); });
  input.value = ''; keyup();
  await until(() => !document.querySelector('li.md-search-result__item'));
  const t0 = performance.now();
  input.value = query; keyup();
  await until(() => document.querySelector('li.md-search-result__item')
    || /没有直接回答|没有找到|No matching/.test(document.querySelector('.md-search-result__meta').textContent));
  return performance.now() - t0;
}"""


def machine() -> str:
    return f"{platform.node()}: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main():
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--site", type=Path, help="a built site (default: build one)")
    args = parser.parse_args()
    queries = []
    for name in ("search_queries", "search_queries_blind"):
        for case in yaml.safe_load((ROOT / "tests" / f"{name}.yaml").read_text("utf-8")):
            queries.append({**case, "list": "blind" if name.endswith("blind") else "own"})
    with tempfile.TemporaryDirectory() as out:
        site, build_s = args.site, None
        if site is None:
            site = Path(out)
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
                cwd=ROOT,
                check=True,
                env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                capture_output=True,
            )
            build_s = time.perf_counter() - t
        index = (site / "search" / "search_index.json").read_bytes()
        pages = len(list(site.rglob("*.html"))) - 1  # 404.html
        with serve(site) as url, chromium() as browser:
            reader = Reader(browser, url)
            reader.open()
            reader.page.click(".md-search__input")
            first = reader.page.evaluate(MEASURE_JS, "梯度")
            times, hits = [], {}
            for case in queries:
                times.append(reader.page.evaluate(MEASURE_JS, case["q"]))
                results = reader.search(case["q"], how="paste" if case["kind"] == "err" else "type")
                if case["page"] == "none":
                    ok = results == [] and reader.empty_state()
                else:
                    wanted = [case["page"]] if isinstance(case["page"], str) else case["page"]
                    ok = bool(set(wanted) & set(results[:3]))
                hits.setdefault((case["list"], case["kind"]), []).append(ok)
            version = browser.version
    print(f"machine: {machine()}, Chromium {version}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| measure | value |")
    print("| --- | --- |")
    if build_s is not None:
        print(f"| site build (mkdocs build --strict) | {build_s:.1f} s |")
    print(
        f"| search index (search_index.json) | {len(index) / 1024:.1f} KiB, gzip {len(gzip.compress(index)) / 1024:.1f}"
        f" KiB, {pages} pages: {len(index) / 1024 / pages:.1f} KiB a page |"
    )
    print(f"| first query (loads the index) | {first:.1f} ms |")
    print(f"| query latency, median ({len(times)} queries) | {statistics.median(times):.1f} ms |")
    print(f"| query latency, worst | {max(times):.1f} ms ({queries[times.index(max(times))]['q'][:30]!r}) |")
    print()
    print("| list | kind | top 3 (or empty state for `out`) |")
    print("| --- | --- | ---: |")
    for lst in ("own", "blind"):
        for (name, kind), oks in hits.items():
            if name == lst:
                print(f"| {lst} | {kind} | {sum(oks)}/{len(oks)} |")
        oks = [ok for (name, _), v in hits.items() if name == lst for ok in v]
        print(f"| {lst} | **all** | **{sum(oks)}/{len(oks)}** ({100 * sum(oks) / len(oks):.0f}%) |")


if __name__ == "__main__":
    main()
