"""The torch version matrix: the committed reports that `make test-torch TORCH=x.y.z` wrote
(verification/torch-x.y.z.json, listed with their sha256 in verification/trusted.toml),
one run each, keyed by the torch release they ran (the local build tag, +cpu or +cu117,
names a wheel, not a version)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from engine.report import Report, VersionResult, release, release_key, trusted_reports

MATRIX_GLOB = re.compile(r"verification/torch-[0-9][^/]*\.json")


def matrix_reports(root: Path) -> dict[str, tuple[str, Report]]:
    """torch release -> (file, report) for every trusted verification/torch-*.json."""
    out: dict[str, tuple[str, Report]] = {}
    for name, report in trusted_reports(root):
        if not MATRIX_GLOB.fullmatch(name):
            continue
        (run,) = report.runs.values()  # make test-torch writes one run per file
        out[release(run.torch)] = (name, report)
    return dict(sorted(out.items(), key=lambda item: release_key(item[0])))


@dataclass
class TorchMinCheck:
    """What the matrix says about one page's front matter `torch_min`."""

    page: str
    torch_min: str
    wrong: list[str] = field(default_factory=list)  # the claim is false, or could be lowered
    not_checked: list[str] = field(default_factory=list)  # versions whose run saw other code


def check_torch_min(page: str, torch_min: str, results: dict[str, VersionResult | None]) -> TorchMinCheck:
    """Check a page's `torch_min` against the matrix: `results` maps each matrix release to
    its verdict on the page as it is now (Report.versions of that release's report), or
    None where that run never saw the page.

    - On every matrix version >= torch_min no block may fail (output that differs is
      allowed there: it is no pass, and the badge does not list that version, but the
      code runs and its assertions hold).
    - If the highest matrix version below torch_min passed every block exactly, the claim
      is too high: the page works, as shown, on an older torch than it says. The check
      names the lowest version from which every matrix version up to torch_min passed.
    - A version whose run saw other code (or never saw the page) checks nothing: it is
      listed under not_checked (rerun make test-torch), never silently passed."""
    out = TorchMinCheck(page, torch_min)
    claim = release_key(torch_min)
    covered: list[tuple[str, VersionResult]] = []
    for torch, r in results.items():
        if r is None:
            out.not_checked.append(f"torch {torch}: no run of this page (rerun make test-torch TORCH={torch})")
        elif r.status in ("changed", "incomplete"):
            out.not_checked.append(
                f"torch {torch}: code changed since the torch {torch} run (rerun make test-torch TORCH={torch})"
            )
        else:
            covered.append((torch, r))
    for torch, r in covered:
        if release_key(torch) >= claim and r.status == "failed":
            out.wrong.append(
                f"torch_min '{torch_min}' is false: {r.blocks} block(s) fail on torch {torch} "
                f"(run {r.run.run_id}, {r.run.started})"
            )
    below = [(t, r) for t, r in results.items() if release_key(t) < claim]
    if below and below[-1][1] is not None and below[-1][1].status == "passed":
        lowest = below[-1][0]
        for torch, r in reversed(below):
            if r is None or r.status != "passed":
                break
            lowest = torch
        suggest = ".".join(lowest.split(".")[:2])
        out.wrong.append(
            f"torch_min '{torch_min}' could be lowered to '{suggest}': every block passes, output exact, on "
            + "、".join(f"torch {t}" for t, _ in below if release_key(t) >= release_key(lowest))
        )
    return out


def check_all(root: Path) -> list[TorchMinCheck]:
    """Every docs page with code against the committed matrix (fast: no block runs)."""
    from engine.config import docs_dir
    from engine.page import PageError
    from engine.parser import read_page

    config_file = root / "mkdocs.yml"
    matrix = matrix_reports(root)
    out = []
    for source in sorted(docs_dir(config_file).rglob("*.md")):
        try:
            page = read_page(source, root, config_file)
        except PageError:
            continue  # the doc tests report it
        if not page.blocks or "torch_min" not in page.meta:
            continue
        path = str(page.path)
        results = {}
        for torch, (_, report) in matrix.items():
            found = [r for r in report.versions(path, page.blocks, "cpu") if r.torch == torch]
            results[torch] = found[0] if found else None
        out.append(check_torch_min(path, str(page.meta["torch_min"]), results))
    return out
