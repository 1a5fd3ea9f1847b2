"""The torch version matrix as a Markdown table: pages × versions, from the reports that
`make test-torch TORCH=x.y.z` wrote (verification/torch-*.json), CPU entries only.

    python -m benchmarks.torch_matrix [verification/torch-1.12.0.json ...]

Each cell: passed / failed / output-differs (skipped blocks, data-notest, are left out);
then every page whose front matter `torch_min` claims a version on which it failed. The
reasons for the failures are read from the pytest output of those runs (see
benchmarks/results/torch-matrix.md), not stored in the reports.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from packaging.version import Version

from engine.config import docs_dir
from engine.parser import read_page
from engine.report import Report

ROOT = Path(__file__).resolve().parent.parent


def load(paths: list[Path]) -> list[tuple[str, Report]]:
    out = []
    for path in paths:
        report = Report.load(path)
        (run,) = report.runs.values()  # make test-torch writes one run per file
        out.append((run.torch, report))
    return sorted(out, key=lambda item: Version(item[0].split("+")[0]))


def table(reports: list[tuple[str, Report]]) -> str:
    config_file = ROOT / "mkdocs.yml"
    pages = sorted({e.page for _, r in reports for e in r.entries})
    head = ["页面", "torch_min", *[f"torch {t}" for t, _ in reports]]
    lines = ["| " + " | ".join(head) + " |", "| --- | ---: |" + " :---: |" * len(reports)]
    claims, totals = [], {t: Counter() for t, _ in reports}
    for page in pages:
        try:
            meta = read_page(ROOT / page, ROOT, config_file).meta
        except Exception:  # noqa: BLE001 - a page that no longer parses still gets its row
            meta = {}
        torch_min = str(meta.get("torch_min", "?"))
        cells = []
        for torch, report in reports:
            counts = Counter(e.outcome for e in report.entries if e.page == page and e.device == "cpu")
            totals[torch].update(counts)
            ran = counts["passed"] + counts["failed"] + counts["output-differs"]
            na = f" / {counts['not-applicable']} 不适用" if counts["not-applicable"] else ""
            if counts["failed"] == counts["output-differs"] == 0:
                cells.append(f"✓ {ran}{na}")
            else:
                parts = [f"{counts['passed']} 过"]
                if counts["failed"]:
                    parts.append(f"**{counts['failed']} 败**")
                if counts["output-differs"]:
                    parts.append(f"{counts['output-differs']} 输出不同")
                cells.append(" / ".join(parts) + na)
            base = Version(torch.split("+")[0])
            if counts["failed"] and torch_min != "?" and base >= Version(torch_min):
                failed = counts["failed"]
                claims.append(f"- `{page}`：`torch_min: '{torch_min}'`，但在 torch {torch} 上失败 {failed} 块")
        name = Path(page).relative_to(docs_dir(config_file).relative_to(ROOT)).as_posix()
        lines.append(f"| {name} | {torch_min} | " + " | ".join(cells) + " |")
    lines.append(
        "| **合计（块）** | | "
        + " | ".join(
            f"{c['passed']} 过 / {c['failed']} 败 / {c['output-differs']} 输出不同 / {c['skipped']} 跳过"
            for c in totals.values()
        )
        + " |"
    )
    cells = []
    for _, report in reports:
        failed = {e.page for e in report.entries if e.outcome == "failed" and e.device == "cpu"}
        differs = {e.page for e in report.entries if e.outcome == "output-differs" and e.device == "cpu"} - failed
        cells.append(f"{len(pages) - len(failed) - len(differs)} / {len(differs)} / {len(failed)}")
    lines.append("| **页面：全部通过 / 仅输出不同 / 有失败** | | " + " | ".join(cells) + " |")
    lines += ["", "`torch_min` 声称支持、实际失败的页面：", ""]
    lines += claims or ["- 没有"]
    return "\n".join(lines)


def provenance(reports: list[tuple[str, Report]]) -> str:
    out = []
    for torch, report in reports:
        (run,) = report.runs.values()
        out.append(
            f"- torch {torch}（Python {run.python}）：`{run.command}`，提交 `{run.commit[:10]}`"
            f"{'（有未提交的改动）' if run.dirty else ''}，{run.started}"
        )
    return "\n".join(out)


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted((ROOT / "verification").glob("torch-*.json"))
    reports = load(paths)
    print(table(reports))
    print()
    print(provenance(reports))


if __name__ == "__main__":
    main(sys.argv[1:])
