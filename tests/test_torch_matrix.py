"""The torch version matrix (make test-torch): the page processes under another venv's
Python and torch (pytest --torch-python), outputs exact only on the pinned torch, an
`output-differs` outcome elsewhere, and a failure on one torch that does not withdraw
another torch's badge. In-process where possible; one end-to-end run on a stand-in torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from engine.badges import State
from engine.matrix import check_all, check_torch_min, matrix_reports, release, release_key
from engine.parser import read_page
from engine.pytest_plugin import TORCH_PYTHON_ENV, pinned_torch, torch_python, worktree_dirty
from engine.report import Entry, Report, ReportError, Run, VersionResult
from tests.test_engine import FAKE_TORCH, parse, python38
from tests.test_harness import run, site  # noqa: F401 - the fixture

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parent.parent
PY38 = python38()  # now: pytester's fixtures change HOME, where pyenv lives


# ---------------------------------------------------------------- in process


def test_the_pinned_torch_is_the_one_in_requirements(tmp_path):
    assert pinned_torch(REPO) is not None and pinned_torch(REPO)[0].isdigit()
    (tmp_path / "requirements.txt").write_text("# x\ntorchvision==0.1\n Torch == 2.13.0  # CPU build\n", "utf-8")
    assert pinned_torch(tmp_path) == "2.13.0"
    (tmp_path / "requirements.txt").write_text("torch>=2\n", "utf-8")
    assert pinned_torch(tmp_path) is None  # nothing pinned: outputs are compared exactly everywhere
    assert pinned_torch(tmp_path / "nowhere") is None


def _config(option=None):
    return types.SimpleNamespace(getoption=lambda name, default=None: option if name == "torch_python" else default)


def test_torch_python_comes_from_the_option_or_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(TORCH_PYTHON_ENV, raising=False)
    assert torch_python(_config()) is None
    assert torch_python(_config(sys.executable)) == os.path.abspath(sys.executable)
    monkeypatch.setenv(TORCH_PYTHON_ENV, sys.executable)
    assert torch_python(_config()) == os.path.abspath(sys.executable)
    link = tmp_path / "bin" / "python"  # a venv's python is a symlink: kept as given, not resolved
    link.parent.mkdir()
    link.symlink_to(sys.executable)
    assert torch_python(_config(str(link))) == str(link)
    with pytest.raises(pytest.UsageError, match="not an executable"):
        torch_python(_config(str(tmp_path / "missing" / "python")))


def _run(run_id: str, torch: str, started: str) -> Run:
    return Run(run_id, "python -m pytest docs", "abc", False, "h", torch, "3.11", {"cpu": "x"}, {}, started)


def _entries(run: Run, blocks, outcomes) -> list[Entry]:
    return [
        Entry(run.run_id, "docs/p.md", b.line, b.index, len(blocks), b.identity, "cpu", o, 0.1, run.torch, "h", "")
        for b, o in zip(blocks, outcomes)
    ]


def test_output_differs_is_an_outcome_of_its_own_and_not_a_pass():
    blocks = parse("```python\nprint(1)\n```\n\n```output\n1\n```\n\n```python\nx = 2\n```\n").blocks
    old = _run("old", "1.12.0", "2026-01-02")
    report = Report({"old": old}, _entries(old, blocks, ["output-differs", "passed"]))
    again = Report.from_json(json.loads(json.dumps(report.to_json())), "r.json")  # valid on load
    assert [e.outcome for e in again.entries] == ["output-differs", "passed"]
    assert again.verified("docs/p.md", blocks, "cpu") is None
    bad = report.to_json()
    bad["entries"][0]["outcome"] = "sort-of"
    with pytest.raises(ReportError, match="not one of"):
        Report.from_json(bad, "r.json")


def test_a_failure_on_another_torch_does_not_withdraw_a_badge_one_on_the_same_torch_does():
    blocks = parse("```python\nx = 1\n```\n\n```python\nassert x\n```\n").blocks
    pinned = _run("pinned", "2.13.0", "2026-01-01")
    old = _run("old", "1.12.0+cu102", "2026-01-02")
    report = Report({"pinned": pinned, "old": old}, _entries(pinned, blocks, ["passed"] * 2))
    report.entries += _entries(old, blocks, ["passed", "failed"])
    assert report.verified("docs/p.md", blocks, "cpu") == pinned
    again = _run("again", "2.13.0", "2026-01-03")
    report.runs["again"] = again
    report.entries += _entries(again, blocks, ["passed", "failed"])
    assert report.verified("docs/p.md", blocks, "cpu") is None


# ---------------------------------------------------------------- end to end, on a stand-in torch

PAGE = """
---
title: t
question: q
answer: a
tags: [a]
keywords: [k]
torch_min: '2.0'
---

# t

```python
import torch
print(torch.__version__)
```

```output
2.13.0
```

```python
raise ValueError("reworded in this torch")
```

```output
Traceback (most recent call last):
  ...
ValueError: as the pinned torch words it
```

```python
{}
```

```output
Traceback (most recent call last):
  ...
TypeError: the pinned torch raises this
```

```python
assert torch.__version__.startswith("1.12")
```
"""


@pytest.fixture
def old_torch(site, pytester, monkeypatch):  # noqa: F811 - the fixture imported above
    """A site pinned to torch 2.13.0 whose page processes run a stand-in torch 1.12.1,
    under Python 3.8 where there is one (the page side must work there)."""
    (pytester.path / "fake").mkdir()
    (pytester.path / "fake" / "torch").mkdir()
    (pytester.path / "fake" / "torch" / "__init__.py").write_text(FAKE_TORCH, "utf-8")
    paths = [str(pytester.path / "fake"), os.environ["PYTHONPATH"]]  # set by `site`: the judge's engine
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    (pytester.path / "requirements.txt").write_text("torch==2.13.0\n", "utf-8")
    site(docs__p_md=PAGE.format("x = None"), docs__q_md=PAGE.format("len(5)"))
    return PY38 or sys.executable


def test_pages_run_under_another_python_and_torch_and_differing_output_is_its_own_outcome(old_torch, pytester):
    report = pytester.path / "verification" / "torch-1.12.1.json"
    args = ["-k", "cpu", f"--torch-python={old_torch}", "--run-below-torch-min", "--doc-report", str(report)]
    result, out = run(pytester, *args)
    # p: the version differs (output-differs), the error text differs (output-differs), the
    # block that should raise TypeError raises nothing (failed); q: it raises TypeError (reworded).
    result.assert_outcomes(passed=2, failed=1, xfailed=5)
    assert "p.md:35: on torch 1.12.1+fake the block raised nothing, the page shows TypeError" in out
    assert "output-differs: docs/p.md:25: on torch 1.12.1+fake the output differs" in out
    assert "-ValueError: as the pinned torch words it\n+ValueError: reworded in this torch" in out
    assert "cpu: 8 blocks: 2 passed, 1 failed, 5 output-differs" in out
    saved = Report.load(report)
    (made,) = saved.runs.values()
    expected = "3.8." if old_torch != sys.executable else "{}.{}.".format(*sys.version_info[:2])
    assert made.torch == "1.12.1+fake" and made.python.startswith(expected)  # the page side's, not the judge's
    assert "--torch-python" in made.command and made.commit
    outcomes = {(Path(e.page).name, e.index): e.outcome for e in saved.entries if e.device == "cpu"}
    assert outcomes[("p.md", 1)] == "output-differs" and outcomes[("p.md", 3)] == "failed"
    assert outcomes[("q.md", 3)] == "output-differs" and outcomes[("q.md", 4)] == "passed"


def test_without_run_below_torch_min_an_older_torch_skips_the_page(old_torch, pytester):
    result, out = run(pytester, "-k", "cpu", f"--torch-python={old_torch}", "docs/p.md")
    result.assert_outcomes(skipped=4)
    assert "the page needs torch >= 2.0; this is 1.12.1+fake" in out


def test_on_the_pinned_torch_outputs_stay_exact(old_torch, pytester):
    (pytester.path / "requirements.txt").write_text("torch==1.12.1\n", "utf-8")  # now the stand-in is pinned
    result, out = run(pytester, "-k", "cpu", "--run-below-torch-min", "docs/p.md", f"--torch-python={old_torch}")
    result.assert_outcomes(passed=1, failed=3)
    assert "xfail" not in out.lower() and "output-differs" not in out


# ---------------------------------------------------------------- the committed matrix


def test_the_matrix_covers_every_torch_a_reader_uses_and_its_table_shows_each_report():
    """Trusted reports (listed with their sha256) for torch 1.12 (d2l's Chinese edition),
    2.0.0 (the English edition), a mid version, the pinned torch and a newer one; the
    matrix document's table has one column per report, in version order."""
    reports = matrix_reports(REPO)
    releases = list(reports)
    pinned = pinned_torch(REPO)
    key = release_key
    assert any(r.startswith("1.12.") for r in releases), releases
    assert "2.0.0" in releases and pinned in releases, releases
    assert any(key("2.0.0") < key(r) < key(pinned) for r in releases), f"no mid version between 2.0.0 and {pinned}"
    assert any(key(r) > key(pinned) for r in releases), f"no version newer than the pinned {pinned}"
    text = (REPO / "benchmarks" / "results" / "torch-matrix.md").read_text("utf-8")
    header = next(line for line in text.splitlines() if line.startswith("| 页面 | torch_min |"))
    shown = [release(cell.removeprefix("torch ")) for cell in header.strip("| ").split(" | ")[2:]]
    assert shown == releases, f"torch-matrix.md shows {shown}; the trusted reports are {releases}"


# ---------------------------------------------------------------- badges list the versions


def _matrix_state():
    """In-memory reports for one page of two blocks: passed on 1.12.0 (a +cu102 build),
    2.0.0 and 2.13.0 (a +cpu build); failed on 2.6.0; output differs on 2.14.1; and a
    2.15.0 run of code the page no longer has."""
    blocks = parse("```python\nx = 1\n```\n\n```python\nprint(x)\n```\n\n```output\n1\n```\n").blocks
    old = parse("```python\nx = 2\n```\n\n```python\nprint(x)\n```\n\n```output\n2\n```\n").blocks
    runs = {
        "a": (_run("a", "1.12.0+cu102", "2026-01-01"), blocks, ["passed", "passed"]),
        "b": (_run("b", "2.0.0", "2026-01-02"), blocks, ["passed", "passed"]),
        "c": (_run("c", "2.6.0+cu124", "2026-01-03"), blocks, ["passed", "failed"]),
        "d": (_run("d", "2.13.0+cpu", "2026-01-04"), blocks, ["passed", "passed"]),
        "e": (_run("e", "2.14.1", "2026-01-05"), blocks, ["passed", "output-differs"]),
        "f": (_run("f", "2.15.0", "2026-01-06"), old, ["passed", "passed"]),
    }
    report = Report({k: r for k, (r, _, _) in runs.items()}, [])
    for made, shown, outcomes in runs.values():
        report.entries += _entries(made, shown, outcomes)
    state = State()
    state.report = report
    state.files = [("verification/local.json", report)]
    state.pages = {"docs/p.md": blocks}
    return state, blocks


def test_the_badge_lists_each_version_that_passed_the_page_as_it_is_now_and_says_what_the_others_did():
    state, blocks = _matrix_state()
    assert [(r.torch, r.status) for r in state.report.versions("docs/p.md", blocks, "cpu")] == [
        ("1.12.0", "passed"),
        ("2.0.0", "passed"),
        ("2.6.0", "failed"),
        ("2.13.0", "passed"),
        ("2.14.1", "output-differs"),
        ("2.15.0", "changed"),
    ]
    text = state.badge("docs/p.md", blocks, "", torch_min="2.0")
    assert text.startswith("**已验证**") and ".qa-verified" in text
    assert "CPU：torch 1.12.0、2.0.0、2.13.0（最近一次 2026-01-04，提交 abc）" in text, text
    assert "torch 2.6.0 上 1 块失败、torch 2.14.1 上 1 块输出不同、torch 2.15.0 的运行之后代码改过" in text, text
    assert "2.6.0、" not in text and "2.14.1、" not in text and "2.15.0、" not in text  # never listed as verified
    assert "CUDA 未验证（还没有在 CUDA 上运行过）" in text
    cpu_only = _run("h", "2.13.0", "2026-01-08")  # a machine without a GPU: CUDA items skipped
    state.report.runs["h"] = cpu_only
    state.report.entries += [replace(e, device="cuda") for e in _entries(cpu_only, blocks, ["skipped"] * 2)]
    assert "CUDA 未验证（运行过的机器都没有 GPU：CUDA 的代码块被跳过，还没有在 CUDA 上运行过）" in state.badge(
        "docs/p.md", blocks, ""
    )
    assert state.verified_text("docs/p.md", blocks) == "CPU（x）上的 torch 1.12.0、2.0.0、2.13.0"


def test_a_later_failure_on_a_version_withdraws_that_version_only():
    state, blocks = _matrix_state()
    again = _run("g", "2.0.0+cu117", "2026-01-07")
    state.report.runs["g"] = again
    state.report.entries += _entries(again, blocks, ["passed", "failed"])
    text = state.badge("docs/p.md", blocks, "", torch_min="2.3")
    assert "CPU：torch 1.12.0、2.13.0（" in text, text
    assert "其他运行过的版本：torch 2.0.0（低于本页的 torch_min 2.3）没有通过、torch 2.6.0 上 1 块失败、" in text, text


def test_a_page_no_version_passed_is_unverified_and_says_why():
    state, blocks = _matrix_state()
    edited = parse("```python\nx = 3\n```\n").blocks
    text = state.badge("docs/p.md", edited, "")
    assert text.startswith("**未验证**") and ".qa-unverified" in text
    assert "CPU 未验证（代码在上次 CPU 运行（2026-01-06）之后改过）" in text, text
    assert "torch 1.12.0" not in text


def test_the_verification_page_shows_the_matrix_of_pages_and_versions():
    state, blocks = _matrix_state()
    state.pages["docs/q.md"] = parse("```python\ny = 1\n```\n").blocks  # never run anywhere
    html = state.report_table()
    head = [th.get_text() for th in BeautifulSoup(html, "html.parser").select("table.qa-matrix thead th")]
    assert head == ["页面"] + [f"CPU torch {v}" for v in ("1.12.0", "2.0.0", "2.6.0", "2.13.0", "2.14.1", "2.15.0")]
    rows = {
        tr.th.get_text(): [td.get_text() for td in tr.select("td")]
        for tr in BeautifulSoup(html, "html.parser").select("table.qa-matrix tbody tr")
    }
    assert rows["docs/p.md"] == ["✓", "✓", "1 块失败", "✓", "1 块输出不同", "代码改过"]
    assert rows["docs/q.md"] == ["—"] * 6
    assert rows["全部通过的页面"] == ["1 / 2", "1 / 2", "0 / 2", "1 / 2", "0 / 2", "0 / 2"]


# ---------------------------------------------------------------- torch_min against the runs


def _verdicts(**statuses) -> dict:
    """torch release -> VersionResult (None: that run never saw the page), in version order."""
    out = {}
    for name, status in statuses.items():
        torch = name.removeprefix("v").replace("_", ".")
        out[torch] = None if status is None else VersionResult(torch, status, 1, _run(torch, torch, "2026-01-01"))
    return out


def test_torch_min_is_false_when_a_version_at_or_above_it_fails():
    got = check_torch_min(
        "p.md", "2.3", _verdicts(v1_12_0="failed", v2_0_0="failed", v2_6_0="failed", v2_13_0="passed")
    )
    assert got.wrong == ["torch_min '2.3' is false: 1 block(s) fail on torch 2.6.0 (run 2.6.0, 2026-01-01)"]
    assert check_torch_min("p.md", "2.13", _verdicts(v2_6_0="failed", v2_13_0="passed")).wrong == []


def test_output_that_differs_above_torch_min_is_not_a_false_claim_and_not_a_reason_to_lower_it():
    got = check_torch_min("p.md", "2.0", _verdicts(v1_12_0="output-differs", v2_0_0="output-differs", v2_13_0="passed"))
    assert got.wrong == [] and got.not_checked == []


def test_torch_min_could_be_lowered_when_the_version_below_it_passes_exactly():
    got = check_torch_min("p.md", "2.3", _verdicts(v1_12_0="passed", v2_0_0="passed", v2_6_0="passed"))
    assert got.wrong == [
        "torch_min '2.3' could be lowered to '1.12': every block passes, output exact, on torch 1.12.0、torch 2.0.0"
    ]
    got = check_torch_min("p.md", "2.3", _verdicts(v1_12_0="failed", v2_0_0="passed", v2_6_0="passed"))
    assert got.wrong == ["torch_min '2.3' could be lowered to '2.0': every block passes, output exact, on torch 2.0.0"]
    assert check_torch_min("p.md", "1.12", _verdicts(v1_12_0="passed", v2_0_0="passed")).wrong == []  # nothing below


def test_a_version_whose_run_saw_other_code_is_reported_not_checked_never_passed():
    got = check_torch_min("p.md", "2.0", _verdicts(v1_12_0="changed", v2_0_0="changed", v2_6_0=None, v2_13_0="passed"))
    assert got.wrong == []  # 1.12.0 might pass or not: no claim either way
    assert got.not_checked == [
        "torch 1.12.0: code changed since the torch 1.12.0 run (rerun make test-torch TORCH=1.12.0)",
        "torch 2.0.0: code changed since the torch 2.0.0 run (rerun make test-torch TORCH=2.0.0)",
        "torch 2.6.0: no run of this page (rerun make test-torch TORCH=2.6.0)",
    ]


def test_every_page_torch_min_agrees_with_the_committed_matrix():
    """Every page whose code the committed matrix reports ran: no failure on a matrix torch
    at or above its torch_min, and the matrix torch just below it does not pass it exactly
    (else torch_min is lowered to what the runs show). Pages changed since a matrix run are
    not checked on that version: a warning says so (CI has no venvs to rerun them); their
    badges do not list that version."""
    checks = check_all(REPO)
    assert len(checks) >= 40, "the pages were not found"
    wrong = [f"{c.page}: {w}" for c in checks for w in c.wrong]
    for c in checks:
        if c.not_checked:
            notes = "; ".join(c.not_checked)
            warnings.warn(f"{c.page}: torch_min '{c.torch_min}' not checked on {notes}", stacklevel=1)
    assert not wrong, "front matter torch_min disagrees with the version matrix:\n" + "\n".join(wrong)


# ---------------------------------------------------------------- blocks that declare their torch versions

VERSIONED = """
# t

```python
import torch
```

```{.python data-torch="<2.0" title="torch 2.0 之前"}
print("zeros", torch.__version__[:4])
```

```output
zeros 1.12
```

```{.python data-torch=">=2.0" title="torch 2.0 起"}
print("None")
```

```output
None
```

```python
print("both")
```

```output
both
```
"""


def test_a_block_outside_its_declared_torch_range_is_reported_not_applicable_and_inside_it_is_exact(
    old_torch, pytester
):
    (pytester.path / "docs" / "p.md").write_text(VERSIONED, "utf-8")
    report = pytester.path / "verification" / "torch-1.12.1.json"
    args = ["-k", "cpu", f"--torch-python={old_torch}", "--run-below-torch-min", "--doc-report", str(report)]
    result, out = run(pytester, "docs/p.md", *args)
    result.assert_outcomes(passed=3, skipped=1)
    assert "not-applicable: the block applies to torch >=2.0 (data-torch); this is 1.12.1+fake" in out
    assert "cpu: 4 blocks: 3 passed, 1 not-applicable" in out
    saved = Report.load(report)
    outcomes = [e.outcome for e in sorted(saved.entries, key=lambda e: e.index) if e.device == "cpu"]
    assert outcomes == ["passed", "passed", "not-applicable", "passed"]
    blocks = read_page(pytester.path / "docs" / "p.md", pytester.path, pytester.path / "mkdocs.yml").blocks
    assert saved.verified("docs/p.md", blocks, "cpu") is not None  # declared, run where it applies: covered
    # The old version's output is exact on the versions the block applies to: not output-differs.
    (pytester.path / "docs" / "p.md").write_text(VERSIONED.replace("zeros 1.12\n", "zeros 1.13\n"), "utf-8")
    result, out = run(pytester, "docs/p.md", *args)
    result.assert_outcomes(failed=1, passed=2, skipped=1)
    assert "the output shown differs" in out and "output-differs" not in out


def test_a_block_that_declares_no_version_range_is_an_error_naming_the_line(site, pytester):  # noqa: F811
    site(docs__p_md='# t\n\n```{.python data-torch="two point oh"}\nx = 1\n```\n')
    result, out = run(pytester, "docs/p.md")
    assert result.ret != 0
    assert 'docs/p.md:3: data-torch="two point oh" is not a version range' in out


def test_rewriting_a_report_does_not_make_the_run_dirty_changing_a_page_does(tmp_path):
    """make test-torch deletes and rewrites its committed report before it runs: that alone
    must not mark the new run as made from uncommitted code."""

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "docs").mkdir()
    (tmp_path / "verification").mkdir()
    (tmp_path / "docs" / "p.md").write_text("# p\n", "utf-8")
    (tmp_path / "verification" / "torch-2.0.0.json").write_text("{}", "utf-8")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    assert not worktree_dirty(tmp_path)
    (tmp_path / "verification" / "torch-2.0.0.json").unlink()
    assert not worktree_dirty(tmp_path)
    (tmp_path / "docs" / "p.md").write_text("# p, edited\n", "utf-8")
    assert worktree_dirty(tmp_path)
