"""The verification report: one typed model, used by the writer (the pytest plugin), the
merge CLI (`python -m engine merge`), the build hook (badges, verification page) and the
coverage gate.

A report holds runs and entries. A run is where the evidence comes from (provenance: the
command line, git commit and dirty flag, machine, torch, Python, isolation, start time);
an entry is one block of one page on one device in one run, named by the block's identity
(engine/page.py: a chain over code, expected output and options). A page is verified on a
device only when one run covered all its blocks as they are now and passed them all, and
no later run of the same code failed any of them.

Files are written atomically (temporary file + os.replace) under an fcntl lock, merged
with what is already there, so two runs writing one report lose nothing. A malformed
report is a ReportError naming the file (the hook turns it into a warning).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field, fields
from hashlib import sha256
from pathlib import Path

FORMAT = 2
# output-differs: on a torch other than the pinned one the block behaved as the page shows
# (its assertions held, the same error or none) but printed other text; not a pass.
# not-applicable: the block declares the torch versions it applies to (data-torch) and this
# is not one of them; it was not run, by declaration, and counts as covered, not as a pass
# of its code on this version.
OUTCOMES = ("passed", "failed", "output-differs", "skipped", "not-applicable")
DONE = ("passed", "not-applicable")  # what a verified page's blocks may be
LOCAL = "verification/local.json"
MANIFEST = "verification/trusted.toml"


def release(torch: str) -> str:
    """'2.0.0+cu117' -> '2.0.0' (the local build tag names a wheel, not a version); a
    string that is no version is returned as it is."""
    m = re.match(r"[0-9]+(?:\.[0-9]+)*", torch)
    return m.group(0) if m else torch


def release_key(torch: str) -> tuple:
    """Orders releases numerically (2.6.0 before 2.13.0; 2.0 is 2.0.0); anything else
    last, by name."""
    rel = release(torch)
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)*", rel):
        parts = [int(p) for p in rel.split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return (0, tuple(parts), "")
    return (1, (), rel)


class ReportError(Exception):
    """A report that cannot be used; the message names the file."""


@dataclass(frozen=True)
class Run:
    run_id: str
    command: str  # the command line that produced it
    commit: str  # git commit of the checkout, or "" when unknown
    dirty: bool  # uncommitted changes when it ran
    host: str
    torch: str
    python: str
    devices: dict  # device -> hardware, e.g. {"cpu": "AMD EPYC, 2 cores", "cuda": "NVIDIA H100"}
    isolation: dict  # device -> how its page processes were confined
    started: str  # UTC, ISO 8601: orders runs

    @property
    def has_provenance(self) -> bool:
        return bool(self.command.strip()) and bool(self.commit.strip())


@dataclass(frozen=True)
class Entry:
    run_id: str
    page: str
    line: int
    index: int
    blocks: int  # how many Python blocks the page had in this run
    identity: str
    device: str
    outcome: str
    duration_s: float
    torch: str
    machine: str
    isolation: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        return self.run_id, self.page, self.index, self.device


@dataclass(frozen=True)
class VersionResult:
    """One torch release's verdict on one page as it is now, on one device (Report.versions)."""

    torch: str  # the release, e.g. "2.0.0" (no local build tag)
    status: str  # passed, failed, output-differs, skipped, changed, incomplete
    blocks: int  # how many blocks failed / differed / were skipped (0 for the others)
    run: Run  # the run the verdict comes from


def _typed(cls, data, where: str):
    if not isinstance(data, dict):
        raise ReportError(f"{where}: expected an object, got {type(data).__name__}")
    kinds = {"str": str, "int": int, "float": (int, float), "bool": bool, "dict": dict}
    values = {}
    for f in fields(cls):
        if f.name not in data:
            raise ReportError(f"{where}: field `{f.name}` missing")
        value = data[f.name]
        if not isinstance(value, kinds[str(f.type)]) or (f.type == "int" and isinstance(value, bool)):
            raise ReportError(f"{where}: field `{f.name}` is {type(value).__name__}, expected {f.type}")
        values[f.name] = value
    return cls(**values)


@dataclass
class Report:
    runs: dict[str, Run] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)

    # ------------------------------------------------------------ load / validate / save

    @classmethod
    def from_json(cls, data, where: str) -> Report:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ReportError(f"{where}: not a format-{FORMAT} verification report")
        runs_data, entries_data = data.get("runs"), data.get("entries")
        if not isinstance(runs_data, list) or not isinstance(entries_data, list):
            raise ReportError(f"{where}: `runs` and `entries` must be lists")
        runs = {}
        for n, r in enumerate(runs_data):
            run = _typed(Run, r, f"{where}: runs[{n}]")
            runs[run.run_id] = run
        entries = []
        for n, e in enumerate(entries_data):
            entry = _typed(Entry, e, f"{where}: entries[{n}]")
            if entry.outcome not in OUTCOMES:
                raise ReportError(f"{where}: entries[{n}]: outcome {entry.outcome!r} is not one of {OUTCOMES}")
            if entry.run_id not in runs:
                raise ReportError(f"{where}: entries[{n}]: run {entry.run_id!r} is not in `runs`")
            entries.append(entry)
        return cls(runs, entries)

    @classmethod
    def load(cls, path: Path) -> Report:
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ReportError(f"{path}: cannot read: {e}") from None
        if not text.strip():
            raise ReportError(f"{path}: the file is empty")
        try:
            data = json.loads(text)
        except ValueError as e:
            raise ReportError(f"{path}: not JSON: {e}") from None
        return cls.from_json(data, str(path))

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "made_by": "the doc tests (engine/); do not edit by hand",
            "runs": [asdict(r) for r in sorted(self.runs.values(), key=lambda r: r.started)],
            "entries": [asdict(e) for e in sorted(self.entries, key=lambda e: (e.page, e.index, e.device, e.run_id))],
        }

    def merge(self, other: Report) -> Report:
        """Both reports' runs and entries. Where a run covered every block of a page on a
        device, older runs' entries for that page and device are dropped (they can no
        longer decide a badge: the newer complete run supersedes them)."""
        runs = {**self.runs, **other.runs}
        entries = {e.key: e for e in self.entries}
        entries.update({e.key: e for e in other.entries})
        covered: dict[tuple[str, str], str] = {}  # (page, device) -> start of the newest complete run
        by_run_page: dict[tuple[str, str, str], set[int]] = {}
        for e in entries.values():
            by_run_page.setdefault((e.run_id, e.page, e.device), set()).add(e.index)
        for e in entries.values():
            if len(by_run_page[e.run_id, e.page, e.device]) >= e.blocks:
                start = runs[e.run_id].started
                if start > covered.get((e.page, e.device), ""):
                    covered[e.page, e.device] = start
        kept = [e for e in entries.values() if runs[e.run_id].started >= covered.get((e.page, e.device), "")]
        used = {e.run_id for e in kept}
        return Report({k: r for k, r in runs.items() if k in used}, kept)

    def save(self, path: Path) -> None:
        """Merge into the report at `path` (under a lock) and replace it atomically. A
        malformed existing file is replaced, with a warning, rather than trusted."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_name(path.name + ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            merged = self
            if path.exists():
                try:
                    merged = Report.load(path).merge(self)
                except ReportError as e:
                    warn(f"{e}: replaced by this run's report")
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(merged.to_json(), f, ensure_ascii=False, indent=1)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    # ------------------------------------------------------------ what it says

    def verified(self, page: str, blocks, device: str) -> Run | None:
        """The run that backs every runnable block of `page` as it is now on `device`, or None.

        `blocks` are engine.page.Block objects (identity, notest). One run must have
        passed them all; a later run on the same torch that failed any of them withdraws
        the badge (a failure on another torch version says nothing about this one: the
        version matrix, make test-torch); a run without provenance (command and commit)
        backs nothing."""
        wanted = {b.identity for b in blocks if b.notest is None}
        if not wanted:
            return None
        passed: dict[str, set[str]] = {}
        failed_at: list[tuple[str, str]] = []  # (started, torch)
        for e in self.entries:
            if e.page != page or e.device != device or e.identity not in wanted:
                continue
            run = self.runs[e.run_id]
            if e.outcome in DONE and run.has_provenance:
                passed.setdefault(e.run_id, set()).add(e.identity)
            elif e.outcome == "failed":
                failed_at.append((run.started, run.torch))
        complete = [self.runs[r] for r, ids in passed.items() if ids >= wanted]
        if not complete:
            return None
        best = max(complete, key=lambda r: r.started)
        if any(started > best.started and torch == best.torch for started, torch in failed_at):
            return None
        return best

    def versions(self, page: str, blocks, device: str) -> list[VersionResult]:
        """What each torch release that ran `page` on `device` says about the page as it is
        now, oldest release first: a list of versions actually run, never a range.

        Per release (2.0.0+cu117 and 2.0.0+cpu are one release) the newest run with
        provenance that covered every runnable block as it is now decides: `passed` (all
        passed, and no later run on that release failed one of them), `failed`,
        `output-differs` (none failed, some printed other text: not a pass) or `skipped`
        (none ran, e.g. CUDA items on a machine without a GPU). Where no run of that release
        covered the current code: `changed` (its newest run saw other code: rerun it) or
        `incomplete` (it ran only some of the blocks)."""
        wanted = {b.identity for b in blocks if b.notest is None}
        if not wanted:
            return []
        seen: dict[str, dict[str, Entry]] = {}  # run_id -> identity -> entry
        for e in self.entries:
            if e.page == page and e.device == device and self.runs[e.run_id].has_provenance:
                seen.setdefault(e.run_id, {})[e.identity] = e
        by_release: dict[str, list[Run]] = {}
        for run_id in seen:
            run = self.runs[run_id]
            by_release.setdefault(release(run.torch), []).append(run)
        out = []
        for rel, runs in sorted(by_release.items(), key=lambda item: release_key(item[0])):
            runs.sort(key=lambda r: r.started, reverse=True)
            covering = [r for r in runs if wanted <= seen[r.run_id].keys()]
            if not covering:
                newest = runs[0]
                status = "changed" if seen[newest.run_id].keys() - wanted else "incomplete"
                out.append(VersionResult(rel, status, 0, newest))
                continue
            run = covering[0]
            outcomes = [seen[run.run_id][i].outcome for i in wanted]
            later_failed = sum(
                1
                for r in runs
                if r.started > run.started
                for i, e in seen[r.run_id].items()
                if i in wanted and e.outcome == "failed"
            )
            failed = outcomes.count("failed") + later_failed
            if failed:
                out.append(VersionResult(rel, "failed", failed, run))
            elif outcomes.count("output-differs"):
                out.append(VersionResult(rel, "output-differs", outcomes.count("output-differs"), run))
            elif all(o in DONE for o in outcomes) and "passed" in outcomes:
                out.append(VersionResult(rel, "passed", 0, run))
            else:
                out.append(VersionResult(rel, "skipped", outcomes.count("skipped"), run))
        return out

    def latest(self) -> dict[tuple[str, str, str], Entry]:
        """(page, identity, device) -> the newest entry."""
        out: dict[tuple[str, str, str], Entry] = {}
        for e in sorted(self.entries, key=lambda e: self.runs[e.run_id].started):
            out[e.page, e.identity, e.device] = e
        return out


def warn(message: str) -> None:
    import sys

    # Straight to stderr, not through MkDocs' logger: `--strict` must not fail on a report problem.
    print(f"WARNING (verification) -  {message}", file=sys.stderr)


def trusted_reports(root: Path) -> list[tuple[str, Report]]:
    """The reports the site may show: verification/local.json (written by this checkout's
    runs) and the committed reports listed in verification/trusted.toml with their sha256
    (maintainers review that file: .github/CODEOWNERS). Anything else is ignored, with a
    warning; a malformed report is a warning naming the file."""
    folder = root / "verification"
    found: list[tuple[str, Report]] = []
    listed: dict[str, str] = {}
    manifest = root / MANIFEST
    if manifest.is_file():
        try:
            data = tomllib.loads(manifest.read_text("utf-8"))
            for item in data.get("report", []):
                listed[str(item["file"])] = str(item["sha256"]).lower()
        except (tomllib.TOMLDecodeError, KeyError, TypeError, UnicodeDecodeError) as e:
            warn(f"{manifest}: ignored, not a list of [[report]] file/sha256 entries ({e})")
            listed = {}
    candidates = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not candidates:
        warn(f"no verification report in {folder}/: every page shows 未验证 (run `make test`)")
    for path in candidates:
        rel = path.relative_to(root).as_posix()
        if rel != LOCAL:
            digest = sha256(path.read_bytes()).hexdigest()
            if rel not in listed:
                warn(f"{rel}: ignored, not listed in {MANIFEST} (a committed report must be listed with its sha256)")
                continue
            if listed[rel] != digest:
                warn(f"{rel}: ignored, its sha256 {digest[:12]}… differs from the one in {MANIFEST}")
                continue
        try:
            report = Report.load(path)
        except ReportError as e:
            warn(f"{e} (ignored: pages it covered show 未验证)")
            continue
        bare = [r.run_id for r in report.runs.values() if not r.has_provenance]
        if bare:
            warn(f"{rel}: {len(bare)} run(s) name no command or commit: they back no badge")
        found.append((rel, report))
    return found


def combined(reports: list[tuple[str, Report]]) -> Report:
    out = Report()
    for _, report in reports:
        out = Report({**out.runs, **report.runs}, out.entries + report.entries)
    return out


def merge_files(out: Path, sources: list[Path]) -> None:
    """One report from those of CI shards (--shard). The shards must have run on one kind
    of machine: a badge names the machine, torch and Python of the run behind it."""
    if not sources:
        raise SystemExit("merge: no reports given")
    reports, kinds = [], []
    for source in sources:
        try:
            reports.append(Report.load(source))
        except ReportError as e:
            raise SystemExit(f"merge: {e}") from None
        kinds.append({(r.torch, r.python, json.dumps(r.devices, sort_keys=True)) for r in reports[-1].runs.values()})
        if kinds[-1] != kinds[0]:
            raise SystemExit(f"merge: {source} ran on {kinds[-1]}, {sources[0]} on {kinds[0]}: not one kind of machine")
    merged = Report()
    for report in reports:
        merged = merged.merge(report)
    merged.save(out)
