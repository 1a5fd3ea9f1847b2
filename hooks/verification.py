"""MkDocs hook: show on each page what the doc tests verified, and never more.

Reports are the JSON files in verification/ (local.json is written by every doc-test
run; reports from GPU machines are committed as produced). A page gets a badge for a
device only when *every* Python block on it, hashed exactly as it runs (includes
expanded, tests/page_parser.py), has a passing entry for that device in one report.
Otherwise the page says 未验证. A missing, empty, corrupted or stale report is a
warning, not a build failure. docs/verification.md's marker gets the full table.
"""

from __future__ import annotations

import html
import json
import posixpath
import sys
from collections import defaultdict
from pathlib import Path

MARKER = "<!-- verification-report -->"
DEVICE_NAMES = {"cpu": "CPU", "cuda": "CUDA"}

reports: list[dict] = []  # the valid reports, newest first, each with its "file" and "passed"
pages: dict[str, list] = {}  # docs path -> blocks, filled as pages are read


def _warn(message: str) -> None:
    # Straight to stderr, not through MkDocs' logger: `--strict` must not fail on a missing report.
    print(f"WARNING (verification) -  {message}", file=sys.stderr)


def load_reports(folder: Path) -> list[dict]:
    found = []
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        _warn(f"no verification report in {folder}/: every page shows 未验证 (run `make test`)")
    for path in files:
        try:
            text = path.read_text("utf-8")
            if not text.strip():
                raise ValueError("the file is empty")
            report = json.loads(text)
            if not isinstance(report, dict) or report.get("format") != 1 or not isinstance(report.get("blocks"), list):
                raise ValueError("not a format-1 report (format, machine, blocks)")
            for entry in report["blocks"]:
                if not {"page", "sha256", "device", "outcome"} <= set(entry):
                    raise ValueError(f"an entry lacks page/sha256/device/outcome: {entry}")
        except (OSError, ValueError) as e:
            _warn(f"{path}: ignored, {e} (pages it covered show 未验证)")
            continue
        report["file"] = path.name
        report["passed"] = {(e["page"], e["sha256"], e["device"]) for e in report["blocks"] if e["outcome"] == "passed"}
        found.append(report)
    return sorted(found, key=lambda r: str(r.get("created", "")), reverse=True)


def on_config(config, **kwargs):
    root = Path(config.config_file_path).parent
    sys.path.insert(0, str(root))
    reports[:] = load_reports(root / "verification")
    pages.clear()
    return config


def verified_on(blocks) -> dict[str, dict]:
    """device -> facts of the newest report in which every runnable block passed. One run
    must back the whole page: passes from different runs (other torch) are not combined."""
    result = {}
    runnable = [b for b in blocks if b.notest is None]
    if not runnable:
        return result
    for device in DEVICE_NAMES:
        for report in reports:
            if all((str(b.page), b.sha, device) in report["passed"] for b in runnable):
                result[device] = {
                    "date": str(report.get("created", "?"))[:10],
                    "torch": report["machine"]["torch"],
                    "hardware": report["machine"]["devices"].get(device, "?"),
                }
                break
    return result


def badge(blocks, report_link: str) -> str:
    """A Markdown paragraph with attr_list classes (so the link is checked like any other)."""
    done = verified_on(blocks)
    see = f"见[验证报告]({report_link})。" if report_link else ""
    if not done:
        return f"**未验证**：本页代码自最近一次测试后有改动，或者还没有测试报告。{see}\n{{ .qa-badge .qa-unverified }}"
    parts = []
    for device, facts in done.items():
        where = DEVICE_NAMES[device] + ("" if device == "cpu" else f"（{html.escape(facts['hardware'])}）")
        parts.append(f"{where} · torch {html.escape(facts['torch'])} · {facts['date']}")
    missing = [DEVICE_NAMES[d] for d in DEVICE_NAMES if d not in done]
    extra = f"；{'、'.join(missing)} 未验证" if missing else ""
    return f"**已验证**：本页每个代码块都运行通过：{'；'.join(parts)}{extra}。{see}\n{{ .qa-badge .qa-verified }}"


def on_page_markdown(markdown, page, config, files, **kwargs):
    from tests.page_parser import PageError, read_page

    root = Path(config.config_file_path).parent
    try:
        parsed = read_page(Path(page.file.abs_src_path), root, Path(config.config_file_path))
    except PageError:
        return markdown  # the doc tests report it; the page simply gets no badge
    if parsed.blocks:
        pages[str(parsed.path)] = parsed.blocks
    if parsed.blocks and markdown.startswith("# "):
        link = posixpath.relpath("verification.md", posixpath.dirname(page.file.src_uri) or ".")
        if files.get_file_from_path("verification.md") is None:  # a site without the report page
            link = ""
        title, _, rest = markdown.partition("\n")
        markdown = f"{title}\n\n{badge(parsed.blocks, link)}\n{rest}"
    return markdown


def on_post_page(output, page, **kwargs):
    # After every page has been read, so the table covers them all.
    return output.replace(MARKER, report_table()) if MARKER in output else output


def on_post_build(config, **kwargs):
    """A report whose entries match none of a page's current blocks is stale for that page."""
    for report in reports:
        seen = defaultdict(set)
        for entry in report["blocks"]:
            seen[entry["page"]].add(entry["sha256"])
        for path, shas in sorted(seen.items()):
            current = {b.sha for b in pages.get(path, [])}
            if path not in pages:
                _warn(f"verification/{report['file']} is stale: {path} is no longer a page")
            elif not shas & current:
                _warn(f"verification/{report['file']} is stale for {path}: its code changed since the report was made")


def report_table() -> str:
    """Every page and block, with its status per device; totals first."""
    by_block = defaultdict(dict)  # (page, sha) -> device -> (entry, report): a pass first, then the newest
    for report in reports:
        for entry in report["blocks"]:
            cell = by_block[entry["page"], entry["sha256"]]
            old = cell.get(entry["device"])
            rank = (entry["outcome"] == "passed", entry["date"])
            if old is None or rank > (old[0]["outcome"] == "passed", old[0]["date"]):
                cell[entry["device"]] = (entry, report)
    rows, totals = [], defaultdict(int)
    for path, blocks in sorted(pages.items()):
        done = verified_on(blocks)
        status = "、".join(DEVICE_NAMES[d] for d in done) or "未验证"
        rows.append(f'<tr class="page"><th colspan="4">{html.escape(path)}：{status}</th></tr>')
        for block in blocks:
            cells = []
            for device in DEVICE_NAMES:
                hit = by_block.get((str(block.page), block.sha), {}).get(device)
                if block.notest is not None:
                    cells.append("不运行：" + html.escape(block.notest))
                    totals["notest"] += 1
                elif hit is None:
                    cells.append("未验证（没有与当前代码对应的记录）")
                    totals[f"{device}:none"] += 1
                else:
                    entry, report = hit
                    totals[f"{device}:{entry['outcome']}"] += 1
                    cells.append(
                        f"{entry['outcome']} · torch {html.escape(report['machine']['torch'])} · "
                        f"{entry['date'][:16].replace('T', ' ')} · {entry.get('duration_s', '?')} s"
                    )
            rows.append(
                f"<tr><td>第 {block.line} 行</td><td><code>{block.sha}</code></td>"
                + "".join(f"<td>{c}</td>" for c in cells)
                + "</tr>"
            )
    summary = "；".join(
        f"{DEVICE_NAMES[d]}：通过 {totals[f'{d}:passed']}、失败 {totals[f'{d}:failed']}、"
        f"跳过 {totals[f'{d}:skipped']}、无记录 {totals[f'{d}:none']}"
        for d in DEVICE_NAMES
    )
    sources = "".join(
        f"<li><code>verification/{html.escape(r['file'])}</code>：{html.escape(r['machine'].get('host', '?'))}，"
        f"{html.escape('；'.join(f'{DEVICE_NAMES.get(k, k)} {v}' for k, v in r['machine']['devices'].items()))}，"
        f"torch {html.escape(r['machine']['torch'])}，Python {html.escape(r['machine']['python'])}，"
        f"{html.escape(r.get('created', '?'))}</li>"
        for r in reports
    )
    return (
        f'<p class="qa-totals">{summary}。</p>'
        f"<p>报告文件：</p><ul>{sources or '<li>没有</li>'}</ul>"
        '<table class="qa-report"><thead><tr><th>代码块</th><th>哈希</th><th>CPU</th><th>CUDA</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
