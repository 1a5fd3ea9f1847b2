"""Tests of the doc-test machinery itself: each runs pytest on small pages in a
temporary site (this repo's mkdocs.yml and hooks) and checks what is reported."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.pytest_plugin import has_cuda
from engine.report import Report

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def site(pytester, monkeypatch):
    """An empty site with this repo's configuration; `site(path=text, ...)` adds files."""
    # The inner pytest loads engine.pytest_plugin from here (keeping any PYTHONPATH it had).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    config = (REPO / "mkdocs.yml").read_text("utf-8")
    (pytester.path / "mkdocs.yml").write_text(config.split("\nnav:")[0], "utf-8")  # pages differ here
    shutil.copy(REPO / "jieba_userdict.txt", pytester.path)
    shutil.copytree(REPO / "hooks", pytester.path / "hooks")
    if (REPO / "overrides").is_dir():  # theme.custom_dir: the search box asks the site's own worker
        shutil.copytree(REPO / "overrides", pytester.path / "overrides")
    (pytester.path / "docs").mkdir()
    (pytester.path / "snippets").mkdir()  # mkdocs.yml watches it
    pytester.makefile(
        ".toml",
        pyproject='[tool.pytest.ini_options]\naddopts = ["-p", "engine.pytest_plugin", "-ra"]\n'
        'doc_report = "verification/local.json"\n',
    )

    def add(**files):
        for name, text in files.items():
            path = pytester.path / name.replace("__", "/").replace("_md", ".md").replace("_py", ".py")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), "utf-8")

    return add


def run(pytester, *args):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)
    return result, result.stdout.str()


def test_blocks_in_admonitions_tabs_and_details_are_collected(site, pytester):
    site(
        docs__page_md="""
        # Page

        ```python
        x = 1
        ```

        !!! note "note"
            ```python
            x += 1
            ```

        ??? tip "details"
            ```python
            x += 1
            ```

        === "Tab A"

            ```python
            x += 1
            ```

        === "Tab B"

            !!! warning "nested"
                ```python
                assert x == 4
                ```
        """
    )
    result, out = run(pytester, "--collect-only", "-q")
    for n, line in enumerate((3, 8, 13, 19, 26), start=1):
        assert f"docs/page.md::[CodeFence#{n}][line:{line}][cpu]" in out
    result, out = run(pytester, "-k", "cpu")
    result.assert_outcomes(passed=5)


def test_blocks_share_state_in_page_order_and_pages_are_isolated(site, pytester):
    site(
        docs__a_md="""
        ```python
        import torch
        torch.set_default_dtype(torch.float64)
        torch.set_grad_enabled(False)
        torch.manual_seed(123)
        torch.use_deterministic_algorithms(True)
        first = torch.rand(1).item()
        ```

        ```python
        assert torch.get_default_dtype() == torch.float64  # state carries on inside a page
        ```
        """,
        docs__b_md="""
        ```python
        import torch
        assert torch.get_default_dtype() == torch.float32
        assert torch.is_grad_enabled()
        assert not torch.are_deterministic_algorithms_enabled()
        assert "first" not in globals()
        drawn = torch.rand(1).item()
        torch.manual_seed(0)
        assert drawn == torch.rand(1).item()  # each page starts from seed 0
        ```
        """,
    )
    result, out = run(pytester, "-k", "cpu")
    result.assert_outcomes(passed=3)


def test_xdist_keeps_each_page_on_one_worker_in_order_and_reports_like_a_serial_run(site, pytester):
    pages = {
        f"docs__p{i}_md": f"```python\nx = {i}\n```\n\n```python\nx += 1\nassert x == {i + 1}\n```\n" for i in range(4)
    }
    pages["docs__bad_md"] = "```python\nraise ValueError('boom')\n```\n\n```python\ny = 1\n```\n"
    site(**pages)
    pytester.makeconftest(
        """
        import sys

        def pytest_terminal_summary(terminalreporter, config):
            if not hasattr(config, "workerinput"):
                terminalreporter.write_line(f"main process imported torch: {'torch' in sys.modules}")
        """
    )
    serial, _ = run(pytester, "-k", "cpu", "--doc-report", "serial.json")
    parallel, out = run(pytester, "-k", "cpu", "-n", "2", "--dist", "loadfile", "--doc-report", "xdist.json")
    parallel.assert_outcomes(passed=8, failed=1, skipped=1)
    assert "an earlier block of this page failed: docs/bad.md:1" in out
    assert "main process imported torch: False" in out  # the controller runs no block

    def outcomes(name):
        report = Report.load(pytester.path / name)
        (run,) = report.runs.values()
        machine = (run.host, run.torch, run.python, run.devices, run.isolation)
        return machine, {(e.page, e.index, e.device): e.outcome for e in report.entries}

    assert outcomes("xdist.json") == outcomes("serial.json")  # machine (from a worker) and every block
    result, out = run(pytester, "-n", "2", "--update-output")
    assert "--update-output rewrites pages from one process: run it without -n" in out + result.stderr.str()


def test_shards_test_each_page_once_and_their_reports_merge_into_one(site, pytester):
    site(**{f"docs__p{i}_md": f"```python\nx = {i}\n```\n" for i in range(5)})
    for i in range(2):
        result, out = run(pytester, "docs", "-k", "cpu", "--shard", f"{i}/2", "--doc-report", f"shards/{i}.json")
        result.assert_outcomes(passed=3 - i)  # p0 p2 p4 | p1 p3
    result, out = run(pytester, "docs", "--shard", "2/2")
    assert "--shard 2/2: write I/N with 0 <= I < N" in out + result.stderr.str()  # a usage error, at start
    merged = pytester.path / "merged.json"

    def merge():
        command = [sys.executable, "-m", "engine", "merge", str(merged), "shards/0.json", "shards/1.json"]
        return subprocess.run(command, cwd=pytester.path, capture_output=True, text=True)

    done = merge()
    assert done.returncode == 0, done.stderr
    entries = json.loads(merged.read_text("utf-8"))["entries"]
    assert [e["page"] for e in entries] == [f"docs/p{i}.md" for i in range(5)]
    other = json.loads((pytester.path / "shards/1.json").read_text("utf-8"))
    other["runs"][0]["torch"] = "0.1"
    (pytester.path / "shards/1.json").write_text(json.dumps(other), "utf-8")
    refused = merge()
    assert refused.returncode != 0 and "not one kind of machine" in refused.stderr


def test_shown_output_is_compared_and_errors_must_be_shown(site, pytester):
    site(
        docs__bad_md="""
        ```python
        print("produced")
        ```

        ```output
        shown
        ```

        ```python
        raise ValueError("boom")
        ```

        ```output
        Traceback (most recent call last):
          ...
        ValueError: boom
        ```

        ```python
        y = 1 / 0
        ```

        ```python
        print("never runs")
        ```
        """,
        docs__good_md="""
        ```python
        print("fine")
        ```

        ```output
        fine
        ```
        """,
    )
    result, out = run(pytester, "-k", "cpu")
    assert "docs/bad.md:5: the output shown differs from what the block at line 1 produced" in out
    assert "-shown\n+produced" in out
    assert "docs/bad.md:19 [cpu]: the code block raised an error" in out
    assert 'File "' in out and 'bad.md", line 20' in out and "ZeroDivisionError: division by zero" in out
    assert "an earlier block of this page failed: docs/bad.md:19 [cpu]" in out
    result.assert_outcomes(passed=2, failed=2, skipped=1)


def test_a_hanging_block_fails_with_page_and_line(site, pytester):
    site(
        docs__hang_md="""
        Text.

        ```python
        try:
            while True:
                pass
        except Exception:
            pass  # a page cannot swallow the timeout
        ```
        """,
        docs__other_md="""
        ```python
        assert 1 + 1 == 2
        ```
        """,
    )
    result, out = run(pytester, "-k", "cpu", "-o", "doc_block_timeout=0.5")
    assert "docs/hang.md:3: block still running after 0.5 s" in out
    result.assert_outcomes(failed=1, passed=1)


def test_includes_are_expanded_and_a_missing_one_names_page_and_line(site, pytester):
    site(
        snippets__lib_py="""
        # --8<-- [start:f]
        def f():
            return 41
        # --8<-- [end:f]
        """,
        docs__ok_md="""
        ```python
        --8<-- "snippets/lib.py:f"
        assert f() == 41
        ```
        """,
        docs__missing_md="""
        # Missing

        ```python
        --8<-- "snippets/lib.py:nope"
        ```
        """,
        docs__outside_md="""
        --8<-- "snippets/lib.py:f"
        """,
    )
    result, out = run(pytester, "-k", "cpu or page")
    assert "docs/missing.md:3: snippet include failed: Snippet section 'nope' could not be located" in out
    assert "docs/outside.md:1: snippet includes are only allowed inside a code fence" in out
    result.assert_outcomes(passed=1, failed=2)  # a broken page does not stop the others


def test_bad_front_matter_and_notest_without_reason_are_errors(site, pytester):
    site(
        docs__fm_md="""
        ---
        title: ok
        tags: [unclosed
        ---

        ```python
        x = 1
        ```
        """,
        docs__notest_md="""
        ```{.python data-notest=""}
        x = 1
        ```
        """,
        docs__reason_md="""
        ```{.python data-notest="needs a dataset download"}
        open("/nonexistent")
        ```
        """,
    )
    result, out = run(pytester, "-k", "cpu or page")
    assert "docs/fm.md:" in out and "front matter is not valid YAML" in out
    assert "docs/notest.md:1: data-notest needs a reason" in out
    assert "docs/reason.md:1 not run (data-notest): needs a dataset download" in out
    result.assert_outcomes(failed=2, skipped=1)


@pytest.mark.skipif(has_cuda(), reason="checks the report on a machine without CUDA")
def test_cuda_items_are_skipped_with_the_reason(site, pytester):
    site(docs__p_md="```python\nx = 1\n```\n")
    result, out = run(pytester, "-v")
    assert "[CodeFence#1][line:1][cpu] PASSED" in out
    assert "[CodeFence#1][line:1][cuda] SKIPPED (no CUDA device here" in out
    assert "no CUDA device here" in out


def test_coverage_gate_fails_on_a_python_block_the_tests_miss(site, pytester):
    shutil.copy(REPO / "tests" / "test_site.py", pytester.path / "test_site.py")
    shutil.copy(REPO / "tests" / "conftest.py", pytester.path / "conftest.py")  # the `site` fixture
    site(
        docs__index_md="""
        # 首页

        梯度 学习率 优化器 动量，公式 $x$。

        ```python
        x = 1
        ```

        ```pycon
        >>> y = 2
        ```
        """,
    )
    result, out = run(pytester, "docs", "test_site.py")
    assert "index.md: the Python blocks on the site differ from those the doc tests collect" in out
    assert "on the site, not tested: '>>> y = 2'" in out
    result.assert_outcomes(passed=6 if has_cuda() else 5, failed=1, skipped=0 if has_cuda() else 1)


GOOD_QA_PAGE = """---
title: 好页面
question: 好吗
answer: 好。
torch_min: '2.0'
tags:
  - SGD
keywords:
  - good
---

# 好页面

## 问题

> 好吗

## 简短回答

好。

## 动手跑一遍

```python
import torch

print(torch.ones(2).sum().item())
```

```output
2.0
```

## 常见误区

- 没有。

## 参考

- 没有。
"""


def test_each_bad_page_fails_with_file_and_line_and_good_pages_still_pass(site, pytester):
    """One run over a site with one page per bad-input class and one good page."""
    for name in ("test_site.py", "test_style.py", "conftest.py"):
        shutil.copy(REPO / "tests" / name, pytester.path / name)
    config = pytester.path / "mkdocs.yml"
    config.write_text(config.read_text("utf-8") + "\nnav:\n  - 问答:\n      - 好页面: qa/good.md\n", "utf-8")
    site(
        docs__index_md="# 首页\n\n梯度 学习率 优化器 动量，公式 $x$。\n",
        docs__qa__good_md=GOOD_QA_PAGE,
        docs__qa__schema_md=(
            "---\ntitle: 缺字段\nquestion: 问\ntags: SGD\nkeywords: [a]\ntorch_min: 2.0\n---\n\n# 缺字段\n"
        ),
        docs__html_md='# HTML\n\n<script>alert(1)</script>\n\n文字 <img src="x.png" onerror="steal()"> 文字\n',
        docs__indented_md="# Indented\n\n正文。\n\n    x = 1\n",
        docs__option_md="# Option\n\n```python notest\nx = 1\n```\n",
        docs__typo_md="# 排版\n\n中文English混排没有空格\n",
        docs__lint_md="# Lint\n\n```python\nimport os\n```\n",
        docs__link_md="# Link\n\n见[别处](missing.md)和[这里](#nope)。\n",
    )
    result, out = run(pytester, "-k", "not cuda", "docs", "test_style.py", "test_site.py")
    expected = [
        "docs/qa/schema.md:1: front matter `answer`: missing (expected a one-line answer for the FAQ index)",
        "docs/qa/schema.md:4: front matter `tags`: 'SGD' is not of type 'array'",
        "docs/qa/schema.md:6: front matter `torch_min`: 2.0 is not of type 'string'",
        "docs/html.md:3: <script> or on*= event handler in raw HTML",
        "docs/html.md:5: <script> or on*= event handler in raw HTML",
        "docs/indented.md:5: indented code block: write a ``` fence",
        "docs/option.md:3: unknown option `notest` on a Python block",
        "docs/typo.md:3:",
        "docs/lint.md:4: F401",
        "docs/link.md:3: Doc file 'link.md' contains a link 'missing.md'",
        "docs/qa/schema.md:1: not in mkdocs.yml nav",
        "docs/qa/schema.md:1: missing section(s) ## 问题, ## 简短回答, ## 动手跑一遍, ## 常见误区, ## 参考",
    ]
    missing = [line for line in expected if line not in out]
    assert not missing, f"messages not found: {missing}\n\n{out}"
    assert "docs/qa/good.md::[CodeFence#1][line:26][cpu] PASSED" in out.replace(" ::", "::") or re.search(
        r"docs/qa/good\.md \.", out
    ), out
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 2  # the good page's block, and the snippet lint
