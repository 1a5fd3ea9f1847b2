"""What the site says about verification: the badge under each page title and the table
of docs/verification.md. Plain functions over engine.report; hooks/verification.py is a
thin MkDocs wrapper. Every report field that reaches the HTML is escaped."""

from __future__ import annotations

import functools
import html
import posixpath
from collections import defaultdict
from pathlib import Path

from engine import fonts
from engine.config import pinned_torch
from engine.notebook import page_downloads
from engine.page import PageError
from engine.parser import decode_page, parse_page
from engine.report import Report, combined, release, release_key, trusted_reports, warn

DEVICE_NAMES = {"cpu": "CPU", "cuda": "CUDA"}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def site_link(site_url: str, uri: str, href: str) -> str:
    """A page's relative link as an address on the published site ("" when it has none)."""
    if not site_url:
        return ""
    target, _, anchor = href.partition("#")
    path = posixpath.normpath(posixpath.join(posixpath.dirname(uri), target)) if target else uri
    return site_url.rstrip("/") + "/" + path.replace(".md", ".html") + (f"#{anchor}" if anchor else "")


def site_figure(figures: dict[str, str], uri: str, src: str) -> str | None:
    """The SVG a page's image points at, if the build drew it."""
    target = src.partition("#")[0]
    if "://" in target or not target:
        return None
    return figures.get(posixpath.normpath(posixpath.join(posixpath.dirname(uri), target)))


class State:
    def __init__(self):
        self.files: list[tuple[str, Report]] = []
        self.report = Report()
        self.pages: dict[str, list] = {}  # docs path -> blocks, filled as pages are read
        self.parsed: dict[Path, tuple[str, object]] = {}  # source -> (text, Page), parsed once a build

    def load(self, root: Path) -> None:
        self.files = trusted_reports(root)
        self.report = combined(self.files)
        self.pages = {}
        self.parsed = {}

    def read(self, source: Path, config_file: Path):
        """(text, Page) of a docs file, parsed once per build (the downloads and the badges
        both need it); raises PageError for a page the doc tests reject."""
        if source not in self.parsed:
            rel = source.relative_to(config_file.parent)
            try:
                data = source.read_bytes()
            except OSError as e:
                raise PageError(f"{rel}:1: cannot read the page: {e}") from None
            text = decode_page(data, rel)
            self.parsed[source] = (text, parse_page(text, rel, config_file))
        return self.parsed[source]

    def verified_on(self, path: str, blocks) -> dict:
        """device -> the run that backs every runnable block of the page as it is now."""
        out = {}
        for device in DEVICE_NAMES:
            run = self.report.verified(path, blocks, device)
            if run is not None:
                out[device] = run
        return out

    def why_unverified(self, path: str, blocks, device: str) -> str:
        """`CUDA 未验证`, and why: never run there (no run, or only runs on machines without
        the device, which skipped its items), the last run there failed, or the code changed
        after the last run there."""
        name = DEVICE_NAMES[device]
        mine = [e for e in self.report.entries if e.page == path and e.device == device]
        if not mine:
            return f"{name} 未验证（还没有在 {name} 上运行过）"
        if device != "cpu" and all(e.outcome == "skipped" for e in mine):
            return f"{name} 未验证（运行过的机器都没有 GPU：{name} 的代码块被跳过，还没有在 {name} 上运行过）"
        last = max((self.report.runs[e.run_id] for e in mine), key=lambda run: run.started)
        current = {b.identity for b in blocks if b.notest is None}
        if any(e.run_id == last.run_id and e.identity in current and e.outcome != "passed" for e in mine):
            return f"{name} 未验证（{esc(last.started[:10])} 在 {name} 上的运行没有全部通过）"
        return f"{name} 未验证（代码在上次 {name} 运行（{esc(last.started[:10])}）之后改过）"

    def versions_text(self, path: str, blocks, device: str, torch_min: str | None = None):
        """(the line a badge shows for `device`, the newest run that passed it) or None when
        no torch version passed every block of the page as it is now there. The line lists
        the versions that did, one by one (never a range), then those that ran it and did
        not: failed, output differs, or the code changed after that run."""
        results = self.report.versions(path, blocks, device)
        passed = [r for r in results if r.status == "passed"]
        notes = self.version_notes(results, torch_min)
        if not passed:
            return None
        newest = max((r.run for r in passed), key=lambda run: run.started)
        name = DEVICE_NAMES[device] + ("" if device == "cpu" else f"（{esc(newest.devices.get(device, '?'))}）")
        commit = esc(newest.commit[:10]) + ("（有未提交的改动）" if newest.dirty else "")
        versions = "、".join(esc(r.torch) for r in passed)
        line = f"{name}：torch {versions}（最近一次 {esc(newest.started[:10])}，提交 {commit}）"
        if notes:
            line += f"；其他运行过的版本：{notes}"
        return line, newest

    @staticmethod
    def version_notes(results, torch_min: str | None = None) -> str:
        """The versions that ran the page and did not pass it, in a few words each; those
        below the page's torch_min together."""
        notes, below = [], []
        for r in results:
            v = f"torch {esc(r.torch)}"
            if r.status in ("failed", "output-differs") and torch_min and release_key(r.torch) < release_key(torch_min):
                below.append(esc(r.torch))
            elif r.status == "failed":
                notes.append(f"{v} 上 {r.blocks} 块失败")
            elif r.status == "output-differs":
                notes.append(f"{v} 上 {r.blocks} 块输出不同")
            elif r.status == "changed":
                notes.append(f"{v} 的运行之后代码改过")
            elif r.status == "incomplete":
                notes.append(f"{v} 的运行没有覆盖全部代码块")
        if below:
            notes.insert(0, f"torch {'、'.join(below)}（低于本页的 torch_min {esc(torch_min)}）没有通过")
        return "、".join(notes)

    def badge(self, path: str, blocks, report_link: str, torch_min: str | None = None) -> str:
        """A Markdown paragraph with attr_list classes (so the link is checked like any other)."""
        see = f"见[验证报告]({report_link})。" if report_link else ""
        parts, missing = [], []
        for device in DEVICE_NAMES:
            shown = self.versions_text(path, blocks, device, torch_min)
            if shown is not None:
                parts.append(shown[0])
                continue
            missing.append(self.why_unverified(path, blocks, device))
        if not parts:
            return f"**未验证**：{'；'.join(missing)}。{see}\n{{ .qa-badge .qa-unverified }}"
        extra = f"；{'；'.join(missing)}" if missing else ""
        return f"**已验证**：本页每个代码块都运行通过：{'；'.join(parts)}{extra}。{see}\n{{ .qa-badge .qa-verified }}"

    def verified_text(self, path: str, blocks) -> str:
        """One line for the downloads: where and on which torch versions the page as it is
        now was verified."""
        parts = []
        for device in DEVICE_NAMES:
            passed = [r for r in self.report.versions(path, blocks, device) if r.status == "passed"]
            if passed:
                newest = max((r.run for r in passed), key=lambda run: run.started)
                versions = "、".join(r.torch for r in passed)
                parts.append(f"{DEVICE_NAMES[device]}（{newest.devices.get(device, '?')}）上的 torch {versions}")
        return "；".join(parts) if parts else "还没有与当前代码对应的通过记录（见网站的验证报告）"

    def downloads(
        self, config_file: Path, docs_dir: Path, site_url: str, figures: dict[str, str] | None = None
    ) -> dict[str, str]:
        """site path -> content: each Q&A page's notebook and script (qa/NAME.ipynb, qa/NAME.py),
        generated from the parsed page the doc tests run; `figures`: site path -> SVG the build
        drew, shown in the notebook."""
        out = {}
        for source in sorted((docs_dir / "qa").glob("*.md")):
            try:
                text, page = self.read(source, config_file)
            except PageError:
                continue  # the doc tests report it; such a page has no downloads
            if not page.blocks:
                continue
            uri = source.relative_to(docs_dir).as_posix()
            url = (site_url.rstrip("/") + "/" if site_url else "") + uri[: -len(".md")] + ".html"
            verified = self.verified_text(str(page.path), page.blocks)

            links = functools.partial(site_link, site_url, uri)
            font = config_file.parent / fonts.FONT
            sources = [b.source for b in page.blocks if b.notest is None]
            carried = font.read_bytes() if font.exists() and fonts.uses_matplotlib(sources) else None
            figure = functools.partial(site_figure, figures or {}, uri)
            pinned = pinned_torch(config_file.parent)
            made = page_downloads(page, text, verified, url, links, carried, figure, pinned)
            for suffix, content in made.items():
                out[uri[: -len(".md")] + suffix] = content
        return out

    def page_markdown(self, markdown: str, source: Path, config_file: Path, src_uri: str, link: str) -> str:
        try:
            _, parsed = self.read(source, config_file)
        except PageError:
            return markdown  # the doc tests report it; the page simply gets no badge
        if parsed.blocks:
            self.pages[str(parsed.path)] = parsed.blocks
        if parsed.blocks and markdown.lstrip("\ufeff").startswith("# "):
            if link:
                link = posixpath.relpath(link, posixpath.dirname(src_uri) or ".")
            title, _, rest = markdown.partition("\n")
            extra = ""
            if src_uri.startswith("qa/"):
                name = posixpath.basename(src_uri)[: -len(".md")]
                extra = (
                    f"\n[下载笔记本 {name}.ipynb]({name}.ipynb){{ .md-button .qa-download download='{name}.ipynb' }}"
                    f" [下载脚本 {name}.py]({name}.py){{ .md-button .qa-download download='{name}.py' }}\n"
                )
            torch_min = parsed.meta.get("torch_min")
            badge = self.badge(str(parsed.path), parsed.blocks, link, str(torch_min) if torch_min else None)
            markdown = f"{title}\n\n{badge}\n{extra}{rest}"
        return markdown

    def warn_stale(self) -> None:
        """A report whose entries match none of a page's current blocks is stale for that page."""
        for name, report in self.files:
            seen = defaultdict(set)
            for entry in report.entries:
                seen[entry.page].add(entry.identity)
            for path, ids in sorted(seen.items()):
                current = {b.identity for b in self.pages.get(path, [])}
                if path not in self.pages:
                    warn(f"{name} is stale: {path} is no longer a page")
                elif not ids & current:
                    warn(f"{name} is stale for {path}: its code changed since the report was made")

    def matrix_table(self) -> str:
        """Pages × (device, torch version): what each version that ran a page says about it
        as it is now (Report.versions). A column for every version that ran a block there."""
        columns = sorted(
            {(e.device, release(e.torch)) for e in self.report.entries if e.outcome != "skipped"},
            key=lambda c: (list(DEVICE_NAMES).index(c[0]) if c[0] in DEVICE_NAMES else 99, release_key(c[1])),
        )
        columns = [c for c in columns if c[0] in DEVICE_NAMES]
        if not columns:
            return "<p>版本矩阵：还没有任何版本运行过这些页面。</p>"
        cell = {
            "passed": lambda r: "✓",
            "failed": lambda r: f"{r.blocks} 块失败",
            "output-differs": lambda r: f"{r.blocks} 块输出不同",
            "skipped": lambda r: "跳过",
            "not-applicable": lambda r: "不适用",
            "changed": lambda r: "代码改过",
            "incomplete": lambda r: "没有跑完",
        }
        passed = defaultdict(int)
        rows = []
        for path, blocks in sorted(self.pages.items()):
            found = {}
            for device in {d for d, _ in columns}:
                for r in self.report.versions(path, blocks, device):
                    found[device, r.torch] = r
            cells = []
            for col in columns:
                r = found.get(col)
                passed[col] += r is not None and r.status == "passed"
                status = "none" if r is None else r.status
                cells.append(f'<td class="qa-{status}">{"—" if r is None else esc(cell[r.status](r))}</td>')
            rows.append(f"<tr><th>{esc(path)}</th>{''.join(cells)}</tr>")
        head = "".join(f"<th>{DEVICE_NAMES[d]} torch {esc(v)}</th>" for d, v in columns)
        total = "".join(f"<td>{passed[c]} / {len(self.pages)}</td>" for c in columns)
        return (
            "<p>版本矩阵（页面 × torch 版本）：✓ 表示这个版本的一次运行覆盖了这一页现在的全部代码块并全部通过；"
            "“代码改过”表示这个版本上次运行之后页面的代码变了，需要重新运行"
            "（<code>make test-torch TORCH=x.y.z</code>）；"
            "— 表示这个版本没有运行过这一页。</p>"
            f'<table class="qa-matrix"><thead><tr><th>页面</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}<tr><th>全部通过的页面</th>{total}</tr></tbody></table>"
        )

    def report_table(self) -> str:
        """Every page and block, with its newest result per device; the runs behind them first."""
        latest = self.report.latest()
        rows, totals = [], defaultdict(int)
        for path, blocks in sorted(self.pages.items()):
            done = self.verified_on(path, blocks)
            status = "、".join(DEVICE_NAMES[d] for d in done) or "未验证"
            rows.append(f'<tr class="page"><th colspan="4">{esc(path)}：{status}</th></tr>')
            for block in blocks:
                cells = []
                for device in DEVICE_NAMES:
                    hit = latest.get((path, block.identity, device))
                    if block.notest is not None:
                        cells.append("不运行：" + esc(block.notest))
                        totals["notest"] += 1
                    elif hit is None:
                        cells.append("未验证（没有与当前代码对应的记录）")
                        totals[f"{device}:none"] += 1
                    else:
                        run = self.report.runs[hit.run_id]
                        totals[f"{device}:{hit.outcome}"] += 1
                        cells.append(
                            f"{esc(hit.outcome)} · torch {esc(hit.torch)} · {esc(run.started[:16].replace('T', ' '))}"
                            f" · {esc(hit.duration_s)} s · 运行 <code>{esc(hit.run_id)}</code>"
                        )
                rows.append(
                    f"<tr><td>第 {block.line} 行</td><td><code>{esc(block.identity)}</code></td>"
                    + "".join(f"<td>{c}</td>" for c in cells)
                    + "</tr>"
                )
        summary = "；".join(
            f"{DEVICE_NAMES[d]}：通过 {totals[f'{d}:passed']}、失败 {totals[f'{d}:failed']}、"
            + (f"输出不同 {totals[f'{d}:output-differs']}、" if totals[f"{d}:output-differs"] else "")
            + (f"不适用 {totals[f'{d}:not-applicable']}、" if totals[f"{d}:not-applicable"] else "")
            + f"跳过 {totals[f'{d}:skipped']}、无记录 {totals[f'{d}:none']}"
            for d in DEVICE_NAMES
        )
        sources = []
        for name, report in self.files:
            for run in sorted(report.runs.values(), key=lambda r: r.started, reverse=True):
                devices = "；".join(f"{DEVICE_NAMES.get(k, k)} {v}" for k, v in run.devices.items())
                isolation = "；".join(f"{DEVICE_NAMES.get(k, k)}：{v}" for k, v in run.isolation.items())
                sources.append(
                    f"<li><code>{esc(name)}</code> 运行 <code>{esc(run.run_id)}</code>：{esc(run.started)}，"
                    f"{esc(run.host)}，{esc(devices)}，torch {esc(run.torch)}，Python {esc(run.python)}；"
                    f"命令 <code>{esc(run.command)}</code>；提交 <code>{esc(run.commit)}</code>"
                    f"{'（有未提交的改动）' if run.dirty else ''}；隔离：{esc(isolation or '?')}"
                    f"{'' if run.has_provenance else '；没有命令或提交，不作为徽章的依据'}</li>"
                )
        return (
            self.matrix_table() + f'<p class="qa-totals">{summary}。</p>'
            f"<p>报告来源（每次运行）：</p><ul>{''.join(sources) or '<li>没有</li>'}</ul>"
            '<table class="qa-report"><thead><tr><th>代码块</th><th>标识</th><th>CPU</th><th>CUDA</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
