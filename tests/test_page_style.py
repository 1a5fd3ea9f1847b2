"""The writing rules of engine/style.py: unit tests on sample strings; every page checked
against the glossary, and CONTRIBUTING.md's glossary table against docs/glossary.yml.
(The section structure of each Q&A page is checked by the page parser, with the other page
checks: a page out of structure fails its own doc test with file:line.)"""

from __future__ import annotations

import re
from pathlib import Path

from engine.style import Term, check_structure, check_terms, load_glossary

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.yml"

GOOD = """---
title: t
---

# 标题

## 问题

```python linenums="1"
--8<-- "snippets/x.py:question"
```

## 简短回答

答。

## 逐行解释

| 行 | 做了什么 |

## 动手跑一遍

```python
print(1)
```

## 不清零时梯度会累加

## 常见误区

## 参考
"""


def test_good_page_passes():
    assert check_structure("p.md", GOOD) == []


def test_evidence_heading_is_rejected_with_its_line():
    text = GOOD.replace("## 不清零时梯度会累加", "## 证据 1：不清零时梯度会累加")
    expected = "p.md:27: heading '证据 1：不清零时梯度会累加': say what the section shows, not '证据 N'"
    assert check_structure("p.md", text) == [expected]


def test_missing_sections_are_named():
    text = GOOD.replace("## 常见误区\n", "").replace("## 动手跑一遍\n", "")
    (problem,) = check_structure("p.md", text)
    assert problem.startswith("p.md:1: missing section(s) ## 动手跑一遍, ## 常见误区")


def test_order_is_checked():
    text = GOOD.replace("## 简短回答\n\n答。\n", "").replace("## 参考\n", "## 参考\n\n## 简短回答\n")
    assert any("out of order" in p for p in check_structure("p.md", text))


def test_line_by_line_required_only_when_question_shows_code():
    without = GOOD.replace("## 逐行解释\n", "")
    assert any("add '## 逐行解释'" in p for p in check_structure("p.md", without))
    no_code = without.replace('```python linenums="1"\n--8<-- "snippets/x.py:question"\n```\n', "> 提问的原话\n")
    assert check_structure("p.md", no_code) == []


def test_headings_inside_code_fences_do_not_count():
    text = GOOD.replace("print(1)", "## 证据 1：这是代码里的注释\nprint(1)")
    assert check_structure("p.md", text) == []


TERMS = [Term("动量", "状态 v", avoid=("冲量",)), Term("每一步都相同", "…", avoid=("逐步一致",))]


def test_avoided_term_in_prose_is_reported():
    text = "---\ntitle: 冲量\n---\n\n这里的冲量就是 v。\n"
    assert check_terms("p.md", text, TERMS) == ["p.md:5: '冲量' -> '动量' (状态 v; docs/glossary.yml)"]


def test_code_quotes_and_front_matter_are_not_prose():
    text = "---\nkeywords: [冲量]\n---\n\n> 原话：两者逐步一致\n\n`冲量`\n\n```python\n# 冲量\n```\n"
    assert check_terms("p.md", text, TERMS) == []


def test_glossary_terms_on_every_page():
    glossary = load_glossary(GLOSSARY)
    problems = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        problems += check_terms(page.relative_to(ROOT).as_posix(), page.read_text("utf-8"), glossary)
    assert not problems, "words the glossary replaces:\n" + "\n".join(problems)


def test_contributing_shows_the_glossary():
    """CONTRIBUTING.md's table lists exactly docs/glossary.yml's terms with the words to avoid."""
    text = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    section = text.split("### 术语表", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and not set(cells[0]) <= set("- "):
            rows[cells[0]] = set(re.findall(r"[^\s、，,]+", cells[2])) - {"—"}
    rows.pop("术语", None)
    expected = {t.term: set(t.avoid) for t in load_glossary(GLOSSARY)}
    assert rows == expected, "CONTRIBUTING.md 术语表 and docs/glossary.yml differ"


def test_fences_are_the_parsers_an_unclosed_fence_in_an_admonition_ends_with_it():
    """The rules see the fences the doc-test parser sees (engine.parser.fences): a fence left
    open inside an admonition ends where the admonition ends, so the next heading counts
    (a line scanner of its own would read the rest of the page as code)."""
    text = GOOD.replace("## 简短回答\n", '!!! note "注意"\n\n    ```python\n    x = 1\n\n## 简短回答\n')
    assert check_structure("p.md", text) == []
    hidden = GOOD.replace("## 常见误区\n", "```text\n## 常见误区\n```\n")  # a heading shown as code is none
    assert check_structure("p.md", hidden) == ["p.md:1: missing section(s) ## 常见误区 (see CONTRIBUTING.md, 页面结构)"]
