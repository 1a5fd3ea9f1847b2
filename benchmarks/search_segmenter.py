"""Chinese character pairs (the site's search) against Intl.Segmenter's words (the approach
Zensical uses), on the same queries, the same ranking code and the same kind of index.

    .venv/bin/python -m benchmarks.search_segmenter

Builds the site once with QA_SEARCH_DUMP set (hooks/search.py then saves Material's index
entries and the pages' front matter), and runs benchmarks/search_segmenter.js in Node twice:
`pairs` rebuilds the site's index in JavaScript (it must give the site's own hit counts: that
checks the port), `segmenter` does the same with Intl.Segmenter("zh") words in the index, the
query and the empty-state coverage. Top 3 as tests/test_browser.py counts it (`page: none`:
empty state), but computed in Node, not typed into Chromium; times are Node's, per query.
Node's ICU is not Chromium's: Chromium may split some words differently.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main():
    with tempfile.TemporaryDirectory() as out:
        out = Path(out)
        queries = []
        for name in ("search_queries", "search_queries_blind"):
            for case in yaml.safe_load((ROOT / "tests" / f"{name}.yaml").read_text("utf-8")):
                queries.append({**case, "list": "blind" if name.endswith("blind") else "own"})
        (out / "queries.json").write_text(json.dumps(queries, ensure_ascii=False), "utf-8")
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "QA_SEARCH_DUMP": str(out / "dump.json")}
        cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(out / "site")]
        subprocess.run(cmd, cwd=ROOT, check=True, env=env, capture_output=True)
        rows = []
        for mode in ("pairs", "segmenter"):
            args = [
                "node",
                str(ROOT / "benchmarks" / "search_segmenter.js"),
                mode,
                str(out / "dump.json"),
                str(out / "site" / "search" / "search_index.json"),
                str(out / "queries.json"),
                str(ROOT / "docs" / "assets" / "javascripts" / "qa-search-worker.js"),
            ]
            rows.append(json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout))
    version = "process.version + ', ICU ' + process.versions.icu"
    node = subprocess.run(["node", "-p", version], capture_output=True, text=True)
    print(f"Node {node.stdout.strip()}")
    print()
    print("| | " + " | ".join(r["mode"] for r in rows) + " |")
    print("| --- |" + " ---: |" * len(rows))
    print("| index (JSON, this port) | " + " | ".join(f"{r['indexKiB']} KiB, {r['terms']} words" for r in rows) + " |")
    for key in ("own", "blind"):
        print(f"| {key} list, top 3 | " + " | ".join(f"{r[key][0]}/{r[key][1]}" for r in rows) + " |")
    total = [f"{r['own'][0] + r['blind'][0]}/{r['own'][1] + r['blind'][1]}" for r in rows]
    print("| all, top 3 | " + " | ".join(total) + " |")
    for kind in rows[0]["stats"]:
        print(f"| {kind} | " + " | ".join("{}/{}".format(*r["stats"][kind]) for r in rows) + " |")
    times = [f"{r['nodeMedianMs']} / {r['nodeWorstMs']}" for r in rows]
    print("| Node ms per query, median / worst | " + " | ".join(times) + " |")
    for r in rows:
        print(f"\n{r['mode']} misses: " + "; ".join(f"`{q}`" for q in r["fails"]))


if __name__ == "__main__":
    main()
