"""The torch version matrix: the committed reports that `make test-torch TORCH=x.y.z` wrote
(verification/torch-x.y.z.json, listed with their sha256 in verification/trusted.toml),
one run each, keyed by the torch release they ran (the local build tag, +cpu or +cu117,
names a wheel, not a version)."""

from __future__ import annotations

import re
from pathlib import Path

from engine.report import Report, release, release_key, trusted_reports

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
