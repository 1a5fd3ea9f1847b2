"""Page rules about writing, not code: the section structure every Q&A page promises
(docs/index.md describes it) and the one-word-per-idea glossary (docs/glossary.yml).
Plain functions over page text, each returning `file:line: message` strings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# The sections in the order every Q&A page has them; 逐行解释 only where 问题 shows code.
REQUIRED = ("问题", "简短回答", "动手跑一遍", "常见误区", "参考")
LINE_BY_LINE = "逐行解释"
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+\1")


@dataclass(frozen=True)
class Term:
    term: str
    means: str
    avoid: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = field(default=())


def load_glossary(path: Path) -> list[Term]:
    entries = yaml.safe_load(path.read_text("utf-8"))
    return [Term(e["term"], e["means"], tuple(e.get("avoid", ())), tuple(e.get("synonyms", ()))) for e in entries]


def body_lines(text: str, fences=None) -> list[tuple[int, str, bool]]:
    """(line number, line, inside a fence) for the page after its front matter. `fences`:
    the parser's fences (engine.parser.fences) — one fence scanner for the tests and these
    rules; found from `text` when not given."""
    if fences is None:
        from engine.parser import fences as find  # the parser imports this module

        fences = find(text)
    fenced = {n for start, end, _ in fences for n in range(start, end)}
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                start = i + 1
                break
    return [(i + 1, lines[i], i in fenced) for i in range(start, len(lines))]


def headings(text: str, fences=None) -> list[tuple[int, str]]:
    """The `## ` headings outside code fences, with their line numbers."""
    lines = body_lines(text, fences)
    return [(n, line[3:].strip()) for n, line, in_fence in lines if not in_fence and line.startswith("## ")]


def check_structure(rel: str, text: str, fences=None) -> list[str]:
    if fences is None:
        from engine.parser import fences as find

        fences = find(text)
    found = headings(text, fences)
    titles = [t for _, t in found]
    problems = []
    for n, line, in_fence in body_lines(text, fences):
        title = line.lstrip("#").strip()
        if not in_fence and line.startswith("#") and re.match(r"证据\s*\d", title):
            problems.append(f"{rel}:{n}: heading '{title}': say what the section shows, not '证据 N'")
    missing = [t for t in REQUIRED if t not in titles]
    if missing:
        sections = ", ".join("## " + t for t in missing)
        problems.append(f"{rel}:1: missing section(s) {sections} (see CONTRIBUTING.md, 页面结构)")
        return problems
    order = [titles.index(t) for t in REQUIRED]
    if order != sorted(order):
        where = found[titles.index(REQUIRED[0])][0]
        problems.append(f"{rel}:{where}: sections out of order: expected {' → '.join(REQUIRED)}")
    if titles[0] != "问题":
        problems.append(f"{rel}:{found[0][0]}: the first section must be '## 问题', not '## {titles[0]}'")
    if question_shows_code(text, fences):
        if LINE_BY_LINE not in titles:
            where = found[titles.index("问题")][0]
            problems.append(f"{rel}:{where}: 问题 shows code: add '## {LINE_BY_LINE}' before 动手跑一遍")
        elif not titles.index("简短回答") < titles.index(LINE_BY_LINE) < titles.index("动手跑一遍"):
            n = found[titles.index(LINE_BY_LINE)][0]
            problems.append(f"{rel}:{n}: '## {LINE_BY_LINE}' belongs between 简短回答 and 动手跑一遍")
    return problems


def question_shows_code(text: str, fences) -> bool:
    """Whether the 问题 section has a Python code fence (the code the question is about)."""
    found = headings(text, fences)
    start = next((n for n, title in found if title == "问题"), None)
    if start is None:
        return False
    end = next((n for n, _ in found if n > start), len(text.splitlines()) + 1)
    return any(
        start < first + 1 < end and re.match(r"(\{\s*\.)?(python|py)\b", info.strip()) for first, _, info in fences
    )


def prose(text: str, fences=None) -> list[tuple[int, str]]:
    """Lines a reader reads as the site's own words: not code, not quotations (`>`)."""
    out = []
    for n, line, in_fence in body_lines(text, fences):
        if in_fence or line.lstrip().startswith(">"):
            continue
        out.append((n, INLINE_CODE.sub("", line)))
    return out


def check_terms(rel: str, text: str, glossary: list[Term], fences=None) -> list[str]:
    problems = []
    for n, line in prose(text, fences):
        for term in glossary:
            for word in term.avoid:
                if word in line:
                    problems.append(f"{rel}:{n}: '{word}' -> '{term.term}' ({term.means}; docs/glossary.yml)")
    return problems
