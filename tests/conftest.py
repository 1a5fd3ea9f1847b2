"""Fixtures shared by tests/: the site, built once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.page_runner import site_paths


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
    config_file, _ = site_paths(pytestconfig)
    out = tmp_path_factory.mktemp("site")
    # No -q: it would hide the warnings that --strict turns into a failure.
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config_file), "-d", str(out)]
    if OFFLINE:
        cmd = ["unshare", "--net", "--", *cmd]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=config_file.parent)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}{proc.stderr}"
    return out
