"""Read a docs page into the code blocks the site shows.

One function, `read_page`, used by both the doc tests (`page_runner.py`) and the
coverage gate (`test_site.py`). It sees what Material renders:

- blocks nested in admonitions (`!!!`), collapsible blocks (`???`) and content
  tabs (`===`), which a plain CommonMark parse reads as indented code and skips;
- `--8<--` snippet includes, expanded by the very `pymdownx.snippets`
  preprocessor that mkdocs.yml configures, so a test runs the text the reader sees.

Fence conventions (see README):

    ```python                                  a block: run on CPU and on CUDA
    ```{.python data-notest="reason"}          shown but not run; the reason is required
    ```output                                  what the Python block above prints or raises
"""

from __future__ import annotations

import functools
import hashlib
import re
import shlex
import types
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import markdown
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin
from mkdocs.utils.yaml import get_yaml_loader
from pymdownx.snippets import SnippetMissingError

PYTHON = {"python", "py", "python3"}
OUTPUT = "output"
SNIPPETS = "pymdownx.snippets"
# Material's indented containers: admonition, collapsible details, content tab.
CONTAINER = re.compile(r"(?:!!!|\?\?\?\+?|===\+?)(?:[ \t]|$)")
INCLUDE = re.compile(r"^\s*-+8<-+")
# Fence options a Python block may carry (pymdownx.highlight / superfences, and ours).
PYTHON_OPTIONS = {"linenums", "hl_lines", "title", "data-notest"}
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10x faster on 1,000 pages
UNSAFE_HTML = re.compile(r"<\s*script\b|\son[a-z]+\s*=", re.IGNORECASE)

# Front matter of a Q&A page (docs/qa/): what the FAQ index, search and the runner read.
QA_SCHEMA = {
    "type": "object",
    "required": ["title", "question", "answer", "tags", "keywords", "torch_min"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "question": {"type": "string", "minLength": 1},
        "answer": {"type": "string", "pattern": r"^[^\n]+$"},
        "description": {"type": "string"},
        "tags": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "keywords": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "torch_min": {"type": "string", "pattern": r"^[0-9]+\.[0-9]+(\.[0-9]+)?$"},
    },
}
QA_VALIDATOR = jsonschema.Draft202012Validator(QA_SCHEMA)  # built once: collection reads every page
QA_EXPECTED = {
    "title": "the page title, e.g. 解释 sgd(params, states, hyperparams)",
    "question": "the question as the reader asked it",
    "answer": "a one-line answer for the FAQ index",
    "tags": "a list of tags, e.g. [SGD, 动量]",
    "keywords": "a list of search aliases, e.g. [sgd, 随机梯度下降]",
    "torch_min": "the oldest torch the page runs on, as a quoted string, e.g. '2.0'",
}


class PageError(Exception):
    """A page the doc tests cannot read; the message starts with `file:line:`."""


@dataclass
class Output:
    line: int  # 1-based line of the ```output fence
    text: str
    end: int  # 1-based line of its closing fence


@dataclass
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    index: int  # 1-based position among the page's Python blocks
    source: str  # the code after include expansion: what the site renders
    includes: list[str] = field(default_factory=list)
    notest: str | None = None  # reason the block is shown but not run
    output: Output | None = None
    # Page line of each line of `source`; None for lines that came from a snippet.
    line_map: list[int | None] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def sha(self) -> str:
        """Hash of the exact code that runs (includes expanded): ties a report entry to this text."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:16]


@dataclass
class Page:
    path: Path
    meta: dict
    blocks: list[Block]


def check_qa_front_matter(meta: dict, rel: Path, front_matter: str) -> list[str]:
    """Schema errors as `file:line: front matter `field`: problem (expected ...)`."""

    def line_of(field: str) -> int:
        for n, text in enumerate(front_matter.splitlines()):
            if text.startswith(f"{field}:"):
                return n + 2  # +1 for the opening ---, +1 for 1-based
        return 1

    problems = []
    for error in QA_VALIDATOR.iter_errors(meta):
        if error.validator == "required":
            field = error.message.split("'")[1]
            problem = "missing"
        else:
            field = str(error.absolute_path[0]) if error.absolute_path else "?"
            problem = error.message
        problems.append(
            f"{rel}:{line_of(field)}: front matter `{field}`: {problem}"
            f" (expected {QA_EXPECTED.get(field, 'see README')})"
        )
    return problems


def _container_rule(state, start, end, silent):
    """Parse Material's `!!! note`, `??? tip`, `=== "Tab"` blocks and their 4-space indented body."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    pos = state.bMarks[start] + state.tShift[start]
    if not CONTAINER.match(state.src[pos : state.eMarks[start]]):
        return False
    if silent:
        return True
    indent = state.sCount[start] + 4
    last, line = start, start + 1
    while line < end:  # body: indented lines, blank lines between them allowed
        if not state.isEmpty(line):
            if state.sCount[line] < indent:
                break
            last = line
        line += 1
    body_end = last + 1
    token = state.push("container_open", "div", 1)
    token.map = [start, body_end]
    token.info = state.src[pos : state.eMarks[start]]
    saved = state.parentType, state.lineMax, state.blkIndent
    state.parentType, state.lineMax, state.blkIndent = "container", body_end, indent
    state.md.block.tokenize(state, start + 1, body_end)
    state.parentType, state.lineMax, state.blkIndent = saved
    state.push("container_close", "div", -1)
    state.line = body_end
    return True


@functools.cache
def markdown_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").use(front_matter_plugin)
    md.block.ruler.before(
        "fence", "material_container", _container_rule, {"alt": ["paragraph", "reference", "blockquote", "list"]}
    )
    return md


@functools.cache
def _snippets(config_file: Path):
    """The snippet preprocessor with the options mkdocs.yml gives it.

    mkdocs.yml is read with MkDocs' own YAML loader, so `!relative $config_dir` means what
    it means to MkDocs; validating the whole config (theme, plugins, hooks) would cost
    0.4 s per run for this one extension.
    """
    config = types.SimpleNamespace(config_file_path=str(config_file))
    raw = yaml.load(config_file.read_text("utf-8"), Loader=get_yaml_loader(config=config)) or {}
    for ext in raw.get("markdown_extensions") or []:
        if ext == SNIPPETS or (isinstance(ext, dict) and SNIPPETS in ext):
            options = ext[SNIPPETS] if isinstance(ext, dict) else None
            md = markdown.Markdown(extensions=[SNIPPETS], extension_configs={SNIPPETS: options or {}})
            return md.preprocessors["snippet"]
    raise PageError(f"{config_file.name}: {SNIPPETS} is not in markdown_extensions, so includes cannot be expanded")


def fence_info(info: str) -> tuple[str, dict[str, str]]:
    """`python linenums="1"` or `{.python data-notest="why"}` -> ("python", {...})."""
    info = info.strip()
    braces = info.startswith("{") and info.endswith("}")
    try:
        words = shlex.split(info[1:-1] if braces else info)
    except ValueError as e:  # unbalanced quotes
        raise ValueError(f"cannot read fence options {info!r}: {e}") from None
    lang, opts = "", {}
    for i, word in enumerate(words):
        if braces and word.startswith(".") and not lang:
            lang = word[1:]
        elif not braces and i == 0:
            lang = word
        else:
            key, _, value = word.partition("=")
            opts[key] = value
    return lang.lower(), opts


def read_page(path: Path, root: Path, config_file: Path) -> Page:
    """Parse `path`; page and line in every error and block are relative to `root`."""
    rel = path.relative_to(root)
    text = path.read_text("utf-8")
    tokens = markdown_parser().parse(text)
    meta: dict = {}
    front_matter = ""
    blocks: list[Block] = []
    fenced: set[int] = set()
    problems: list[str] = []
    for tok in tokens:
        if tok.type == "code_block" and tok.map:
            problems.append(
                f"{rel}:{tok.map[0] + 1}: indented code block: write a ``` fence (indented code is never tested)"
            )
        for html in [tok] + list(tok.children or []):
            if html.type in ("html_block", "html_inline") and UNSAFE_HTML.search(html.content):
                problems.append(f"{rel}:{tok.map[0] + 1 if tok.map else 1}: <script> or on*= event handler in raw HTML")
        if tok.type == "front_matter":
            front_matter = tok.content
            try:
                meta = yaml.load(tok.content, Loader=SAFE_LOADER) or {}
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                line = 2 + (mark.line if mark else 0)
                problems.append(f"{rel}:{line}: front matter is not valid YAML: {e}")
                meta = {}
            if not isinstance(meta, dict):
                problems.append(f"{rel}:1: front matter must be a mapping of `key: value` lines")
                meta = {}
            continue
        if tok.type != "fence" or not tok.map:
            continue
        fenced.update(range(tok.map[0], tok.map[1]))
        line = tok.map[0] + 1
        try:
            lang, opts = fence_info(tok.info)
        except ValueError as e:
            problems.append(f"{rel}:{line}: {e}")
            continue
        if lang == OUTPUT:
            if not blocks or blocks[-1].output is not None or blocks[-1].notest is not None:
                problems.append(f"{rel}:{line}: an ```output block must follow the Python block whose output it shows")
                continue
            blocks[-1].output = Output(line, tok.content, tok.map[1])
            continue
        if lang not in PYTHON:
            continue
        if "data-notest" in opts and not opts["data-notest"].strip():
            problems.append(f'{rel}:{line}: data-notest needs a reason: {{.python data-notest="why it is not run"}}')
        for unknown in sorted(set(opts) - PYTHON_OPTIONS):
            problems.append(
                f"{rel}:{line}: unknown option `{unknown}` on a Python block: "
                f'to show a block without running it write {{.python data-notest="why"}}'
            )
        raw = tok.content.splitlines()
        includes = [s.strip() for s in raw if INCLUDE.match(s)]
        source, line_map = tok.content, [line + 1 + n for n in range(len(raw))]
        if includes:
            try:
                source = "\n".join(_snippets(config_file).run(raw)) + "\n"
                line_map = []
                for n, raw_line in enumerate(raw):
                    size = len(_snippets(config_file).run([raw_line])) if INCLUDE.match(raw_line) else 0
                    line_map += [None] * size if size else [line + 1 + n]
            except SnippetMissingError as e:
                problems.append(f"{rel}:{line}: snippet include failed: {e}")
        blocks.append(Block(rel, line, len(blocks) + 1, source, includes, opts.get("data-notest"), line_map=line_map))
    for n, s in enumerate(text.splitlines()):
        if n not in fenced and INCLUDE.match(s):
            problems.append(f"{rel}:{n + 1}: snippet includes are only allowed inside a code fence")
        if "TODO" in s:
            problems.append(f"{rel}:{n + 1}: TODO left from the page template: {s.strip()[:60]}")
    if rel.parts[:2] == ("docs", "qa"):
        problems += check_qa_front_matter(meta, rel, front_matter)
    if problems:
        raise PageError("\n".join(problems))
    return Page(rel, meta, blocks)
