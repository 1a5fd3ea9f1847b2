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
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import mkdocs.config
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin
from pymdownx.snippets import SnippetMissingError

PYTHON = {"python", "py", "python3"}
OUTPUT = "output"
# Material's indented containers: admonition, collapsible details, content tab.
CONTAINER = re.compile(r"(?:!!!|\?\?\?\+?|===\+?)(?:[ \t]|$)")
INCLUDE = re.compile(r"^\s*-+8<-+")


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

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


@dataclass
class Page:
    path: Path
    meta: dict
    blocks: list[Block]


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
    """The snippet preprocessor exactly as mkdocs.yml configures it."""
    cfg = mkdocs.config.load_config(str(config_file))
    md = markdown.Markdown(extensions=cfg.markdown_extensions, extension_configs=cfg.mdx_configs)
    return md.preprocessors["snippet"]


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
    blocks: list[Block] = []
    fenced: set[int] = set()
    for tok in tokens:
        if tok.type == "front_matter":
            try:
                meta = yaml.safe_load(tok.content) or {}
            except yaml.YAMLError as e:
                mark = getattr(e, "problem_mark", None)
                line = 2 + (mark.line if mark else 0)
                raise PageError(f"{rel}:{line}: front matter is not valid YAML: {e}") from None
            if not isinstance(meta, dict):
                raise PageError(f"{rel}:1: front matter must be a mapping of `key: value` lines")
            continue
        if tok.type != "fence" or not tok.map:
            continue
        fenced.update(range(tok.map[0], tok.map[1]))
        line = tok.map[0] + 1
        try:
            lang, opts = fence_info(tok.info)
        except ValueError as e:
            raise PageError(f"{rel}:{line}: {e}") from None
        if lang == OUTPUT:
            if not blocks or blocks[-1].output is not None or blocks[-1].notest is not None:
                raise PageError(f"{rel}:{line}: an ```output block must follow the Python block whose output it shows")
            blocks[-1].output = Output(line, tok.content, tok.map[1])
            continue
        if lang not in PYTHON:
            continue
        if "data-notest" in opts and not opts["data-notest"].strip():
            raise PageError(f'{rel}:{line}: data-notest needs a reason: {{.python data-notest="why it is not run"}}')
        includes = [s.strip() for s in tok.content.splitlines() if INCLUDE.match(s)]
        source = tok.content
        if includes:
            try:
                source = "\n".join(_snippets(config_file).run(tok.content.splitlines())) + "\n"
            except SnippetMissingError as e:
                raise PageError(f"{rel}:{line}: snippet include failed: {e}") from None
        blocks.append(Block(rel, line, len(blocks) + 1, source, includes, opts.get("data-notest")))
    for n, s in enumerate(text.splitlines()):
        if n not in fenced and INCLUDE.match(s):
            raise PageError(f"{rel}:{n + 1}: snippet includes are only allowed inside a code fence")
    return Page(rel, meta, blocks)
