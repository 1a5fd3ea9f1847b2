"""Fixtures shared by tests/: the site, built once per session."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.pytest_plugin import site_paths, write_report


def _can_cut_network() -> bool:
    try:
        return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


OFFLINE = _can_cut_network()


@pytest.fixture(scope="session")
def site(tmp_path_factory, pytestconfig) -> Path:
    """`mkdocs build --strict` into a temporary folder, inside `unshare --net` where
    allowed (root), so any download during the build fails it."""
    write_report(pytestconfig)  # the doc tests that ran so far: the badges and the gate read it
    config_file, docs_dir = site_paths(pytestconfig)
    out = tmp_path_factory.mktemp("site")
    # No -q: it would hide the warnings that --strict turns into a failure.
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config_file), "-d", str(out)]
    if OFFLINE:
        cmd = ["unshare", "--net", "--", *cmd]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=config_file.parent)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{with_lines(proc.stdout + proc.stderr, docs_dir)}", pytrace=False)
    return out


LINK_WARNING = re.compile(r"Doc file '(?P<file>[^']+)' contains (?:a|an unrecognized relative) link '(?P<link>[^']+)'")


def with_lines(log: str, docs_dir: Path) -> str:
    """MkDocs names the file of a broken link but not the line: add `docs/x.md:LINE:`."""
    out = []
    for line in log.splitlines():
        m = LINK_WARNING.search(line)
        if m and (docs_dir / m["file"]).is_file():
            text = (docs_dir / m["file"]).read_text("utf-8").splitlines()
            n = next((i + 1 for i, t in enumerate(text) if f"]({m['link']}" in t), 1)
            line = f"{docs_dir.name}/{m['file']}:{n}: {line.split(' -  ', 1)[-1]}"
        out.append(line)
    return "\n".join(out)
