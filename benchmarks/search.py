"""Search benchmark: index size, and query latency in Chromium over tests/search_queries.yaml.

    .venv/bin/python -m benchmarks.search           # builds the site, prints a table

Latency is measured inside the page: from the keyup that starts a search until the
results (or "no results") are on screen. The first query also loads the index; it is
reported on its own line and left out of the median and worst.
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
  const keyup = () => input.dispatchEvent(new KeyboardEvent('keyup', {key: 'End', bubbles: true}));
  const until = (test) => new Promise(resolve => {
    const tick = () => test() ? resolve() : requestAnimationFrame(tick); tick(); });
  input.value = ''; keyup();
  await until(() => !document.querySelector('li.md-search-result__item'));
  const t0 = performance.now();
  input.value = query; keyup();
  await until(() => document.querySelector('li.md-search-result__item')
    || /没有找到|No matching/.test(document.querySelector('.md-search-result__meta').textContent));
  return performance.now() - t0;
}"""


def machine() -> str:
    return f"{platform.node()}: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main():
    queries = yaml.safe_load((ROOT / "tests" / "search_queries.yaml").read_text("utf-8"))
    with tempfile.TemporaryDirectory() as out:
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
        with serve(site) as url, chromium() as browser:
            reader = Reader(browser, url)
            reader.open()
            reader.page.click(".md-search__input")
            first = reader.page.evaluate(MEASURE_JS, "梯度")
            times, hits = [], 0
            for case in queries:
                times.append(reader.page.evaluate(MEASURE_JS, case["q"]))
                wanted = [case["page"]] if isinstance(case["page"], str) else case["page"]
                hits += bool(set(wanted) & set(reader.search(case["q"], typed=False)[:3]))
            version = browser.version
    print(f"machine: {machine()}, Chromium {version}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| site build (mkdocs build --strict) | {build_s:.1f} s |")
    print(
        f"| search index (search_index.json) | {len(index) / 1024:.1f} KiB,"
        f" gzip {len(gzip.compress(index)) / 1024:.1f} KiB |"
    )
    print(f"| queries | {len(queries)}, expected page in top 3: {hits}/{len(queries)} |")
    print(f"| first query (loads the index) | {first:.1f} ms |")
    print(f"| query latency, median | {statistics.median(times):.1f} ms |")
    print(f"| query latency, worst | {max(times):.1f} ms ({queries[times.index(max(times))]['q'][:30]!r}) |")


if __name__ == "__main__":
    main()
