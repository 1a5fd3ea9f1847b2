"""Fast checks of the sources, each failure naming file and line:
Chinese typography (autocorrect), Python style (ruff) in snippets/ and in page code
blocks, every Q&A page listed in the navigation, nav sections small enough for a
linear build. The CI workflows: tests/test_workflows.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import autocorrect_py
import mkdocs.config
import pytest

from engine.page import PageError
from engine.parser import read_page
from engine.pytest_plugin import site_paths
from hooks.qa_pages import nav_pages


@pytest.fixture(scope="module")
def paths(pytestconfig):
    config_file, docs_dir = site_paths(pytestconfig)
    return pytestconfig.rootpath, config_file, docs_dir


def pages(docs_dir: Path) -> list[Path]:
    return sorted(docs_dir.rglob("*.md"))


def test_chinese_typography(paths):
    """Spaces between Chinese and Latin, full-width punctuation in Chinese (autocorrect)."""
    root, _, docs_dir = paths
    problems = []
    for page in pages(docs_dir):
        rel = page.relative_to(root)
        for line in autocorrect_py.lint_for(page.read_text("utf-8"), str(rel)).lines:
            problems.append(f"{rel}:{line.line}:{line.col}: {line.old.strip()!r} -> {line.new.strip()!r}")
    assert not problems, "Chinese typography (fix, or run autocorrect --fix):\n" + "\n".join(problems)


def ruff(source: str, filename: str, root: Path) -> list[dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format=json", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_python_style_in_snippets(paths):
    root, _, _ = paths
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format=concise", "snippets"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert proc.returncode == 0, f"ruff check snippets/:\n{proc.stdout}{proc.stderr}"


def test_python_style_in_page_blocks(paths):
    """A page's blocks are linted as one module in page order (they run that way);
    findings inside included snippets are left to the snippets check."""
    root, config_file, docs_dir = paths
    problems = []
    for page in pages(docs_dir):
        try:
            parsed = read_page(page, root, config_file)
        except PageError:
            continue  # reported by the page's own test
        module, where = [], []
        for block in parsed.blocks:
            if block.notest is None:
                module += block.source.splitlines()
                where += block.line_map or [None] * len(block.source.splitlines())
        for finding in ruff("\n".join(module) + "\n", f"{parsed.path}.py", root):
            line = where[finding["location"]["row"] - 1]
            if line is not None:
                problems.append(f"{parsed.path}:{line}: {finding['code']} {finding['message']}")
    assert not problems, "ruff, in page code blocks:\n" + "\n".join(problems)


@pytest.fixture(scope="module")
def nav(paths):
    """mkdocs.yml's nav as MkDocs reads it, loaded once (0.4 s)."""
    return mkdocs.config.load_config(str(paths[1])).nav or []


def test_every_qa_page_is_in_the_navigation(paths, nav):
    root, config_file, docs_dir = paths
    in_nav = {path for _, path in nav_pages(nav)}
    missing = [p for p in pages(docs_dir / "qa") if p.relative_to(docs_dir).as_posix() not in in_nav]
    assert not missing, "\n".join(
        f"{p.relative_to(root)}:1: not in mkdocs.yml nav: add `- 标题: {p.relative_to(docs_dir).as_posix()}` "
        "under a section (the FAQ index follows nav)"
        for p in missing
    )


# Every page renders its whole nav section (navigation.prune drops the others), so one
# section of 1,000 pages made the build quadratic: 44 s, against 17 s in sections of 50
# (benchmarks/results/scale.md).
NAV_SECTION_MAX = 50


def test_nav_sections_stay_small_so_the_build_stays_linear(paths, nav):
    root, config_file, _ = paths
    lines = config_file.read_text("utf-8").splitlines()
    sizes = Counter(section for section, _ in nav_pages(nav) if section is not None)

    def line_of(title):
        return next((n for n, text in enumerate(lines, 1) if text.strip() == f"- {title}:"), 1)

    problems = [
        f"{config_file.relative_to(root)}:{line_of(title)}: nav section {title!r} lists {size} pages "
        f"(at most {NAV_SECTION_MAX}): split it into subsections"
        for title, size in sizes.items()
        if size > NAV_SECTION_MAX
    ]
    assert not problems, "\n".join(problems)
