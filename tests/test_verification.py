"""The "已验证" badges (hooks/verification.py) are honest: shown only when a report
backs every block of the page as it is now; a missing, empty, corrupted or stale
report warns at build time and the page says 未验证."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from engine.report import Report

REPO = Path(__file__).resolve().parent.parent
PAGE = """# 页面

```python
x = 41
```

```python
print(x + 1)
```

```output
42
```
"""


def badge(site: Path, page: str = "p") -> str:
    soup = BeautifulSoup((site / f"{page}.html").read_text("utf-8"), "html.parser")
    el = soup.select_one(".qa-badge")
    return el.get_text() if el else ""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A one-page site with this repo's configuration and hooks, its doc tests run once."""
    root = tmp_path_factory.mktemp("tiny")
    config = (REPO / "mkdocs.yml").read_text("utf-8").split("\nnav:")[0]
    (root / "mkdocs.yml").write_text(config, "utf-8")
    shutil.copy(REPO / "jieba_userdict.txt", root)
    shutil.copytree(REPO / "hooks", root / "hooks")
    if (REPO / "overrides").is_dir():  # theme.custom_dir: the search box asks the site's own worker
        shutil.copytree(REPO / "overrides", root / "overrides")
    (root / "snippets").mkdir()
    (root / "docs").mkdir()
    (root / "docs" / "p.md").write_text(PAGE, "utf-8")
    (root / "docs" / "verification.md").write_text("# 验证报告\n\n<!-- verification-report -->\n", "utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\naddopts = ["-p", "engine.pytest_plugin"]\ndoc_report = "verification/local.json"\n',
        "utf-8",
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "docs"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root, env


def build(root: Path, env: dict, out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=root,
        env={**env, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"a report problem must not fail the build:\n{proc.stdout}{proc.stderr}"
    return proc.stderr


def test_report_is_written_with_provenance_and_identities(tiny):
    root, _ = tiny
    report = Report.load(root / "verification" / "local.json")
    (run,) = report.runs.values()
    assert run.host and run.torch and run.python and "cpu" in run.devices and run.started
    assert run.command.startswith("python -m pytest") and run.commit  # provenance
    assert "network" in run.isolation["cpu"]  # which isolation was used
    cpu = [e for e in report.entries if e.device == "cpu"]
    assert [e.outcome for e in cpu] == ["passed", "passed"]
    assert all(len(e.identity) == 16 and e.run_id == run.run_id and e.duration_s >= 0 for e in cpu)


def test_badge_when_every_block_passed(tiny, tmp_path):
    root, env = tiny
    build(root, env, tmp_path / "site")
    text = badge(tmp_path / "site")
    assert text.startswith("已验证") and "CPU：torch " in text, text
    table = (tmp_path / "site" / "verification.html").read_text("utf-8")
    assert "docs/p.md" in table and "passed" in table


def test_changing_one_character_of_a_block_unverifies_the_page(tiny, tmp_path):
    root, env = tiny
    page = root / "docs" / "p.md"
    page.write_text(PAGE.replace("x = 41", "x = 40"), "utf-8")
    try:
        stderr = build(root, env, tmp_path / "site")
    finally:
        page.write_text(PAGE, "utf-8")
    assert badge(tmp_path / "site").startswith("未验证")
    assert "ignored" not in stderr and "no verification report" not in stderr  # the report itself is fine


@pytest.mark.parametrize(
    "damage, warning",
    [
        ("missing", "no verification report"),
        ("empty", "local.json: the file is empty (ignored"),
        ("corrupted", "local.json: not JSON"),
        ("stale", "local.json is stale for docs/p.md"),
    ],
)
def test_bad_reports_warn_and_show_unverified(tiny, tmp_path, damage, warning):
    root, env = tiny
    report = root / "verification" / "local.json"
    good = report.read_text("utf-8")
    try:
        if damage == "missing":
            report.unlink()
        elif damage == "empty":
            report.write_text("", "utf-8")
        elif damage == "corrupted":
            report.write_text(good[: len(good) // 2], "utf-8")
        else:  # every identity in the report differs from the page's blocks
            data = json.loads(good)
            for entry in data["entries"]:
                entry["identity"] = "0" * 16
            report.write_text(json.dumps(data), "utf-8")
        stderr = build(root, env, tmp_path / "site")
    finally:
        report.write_text(good, "utf-8")
    assert warning in stderr, stderr
    assert badge(tmp_path / "site").startswith("未验证")


@pytest.mark.after_doc_tests
def test_every_page_of_this_site_shows_what_this_run_verified(site, pytestconfig):
    """After the README's test command (doc tests first), each page with code is badged 已验证."""
    unverified = []
    for html in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(html.read_text("utf-8"), "html.parser")
        el = soup.select_one(".qa-badge")
        if el is not None and not el.get_text().startswith("已验证"):
            unverified.append(f"{html.relative_to(site)}: {el.get_text()[:60]}")
    assert not unverified, "\n".join(unverified)


def test_passes_from_two_different_runs_do_not_add_up(tiny, tmp_path):
    """Block 1 passed only in one run, block 2 only in another: no single run backs
    the page, so it is not verified."""
    root, env = tiny
    report = root / "verification" / "local.json"
    good = report.read_text("utf-8")
    data = json.loads(good)
    (run,) = data["runs"]
    second = {**run, "run_id": "second", "started": "2000-01-01T00:00:00Z"}
    cpu = [e for e in data["entries"] if e["device"] == "cpu"]
    data["runs"] = [run, second]
    data["entries"] = [
        cpu[0],
        {**cpu[1], "outcome": "failed"},
        {**cpu[0], "outcome": "failed", "run_id": "second"},
        {**cpu[1], "run_id": "second"},
    ]
    try:
        report.write_text(json.dumps(data), "utf-8")
        build(root, env, tmp_path / "site")
    finally:
        report.write_text(good, "utf-8")
    assert badge(tmp_path / "site").startswith("未验证")
