"""Read a docs page into the code blocks the site shows, and check it.

`read_page` is used by the doc tests, the coverage gate, the badges and the lint. It sees
what Material renders: blocks nested in admonitions (`!!!`), collapsible blocks (`???`)
and content tabs (`===`), and `--8<--` includes expanded by the very `pymdownx.snippets`
preprocessor that mkdocs.yml configures, so a test runs the text the reader sees.

Fence tags (see CONTRIBUTING.md): every tag that Pygments highlights as Python runs
(RUN_TAGS); console transcripts (CONSOLE_TAGS) are shown only, with a data-notest reason;
SHOWN_TAGS are shown and never run; ```output follows the block it belongs to; any other
tag fails the page with file:line, so no new tag slips past the tests.
"""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

import jsonschema
import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin
from pymdownx.snippets import SnippetMissingError

from engine.config import snippet_preprocessor
from engine.includes import unsafe_includes
from engine.page import Block, Output, Page, PageError, chain_identities
from engine.style import check_structure

# Every alias of Pygments' Python lexers (Python, Python 2.x, NumPy): highlighted as Python, so run.
RUN_TAGS = frozenset({"python", "py", "python3", "py3", "pyi", "sage", "bazel", "starlark", "python2", "py2", "numpy"})
# Highlighted as Python but a transcript (`>>> `): shown only, with a stated reason (data-notest).
CONSOLE_TAGS = frozenset({"pycon", "python-console", "ipython", "ipython3", "ipythonconsole"})
OUTPUT = "output"
# Shown, never run. Extend this list (and CONTRIBUTING.md) to allow another language.
SHOWN_TAGS = frozenset(
    {"", "text", "txt", "plaintext", "output", "bash", "sh", "shell", "console", "yaml", "yml", "json", "toml",
     "ini", "cfg", "diff", "markdown", "md", "html", "css", "javascript", "js", "c", "cpp", "cuda", "pytb",
     "py3tb", "mermaid", "csv", "tex", "latex"}
)  # fmt: skip
PYTHON = RUN_TAGS  # what the site highlights as Python and the tests run
# Material's indented containers: admonition, collapsible details, content tab.
CONTAINER = re.compile(r"(?:!!!|\?\?\?\+?|===\+?)(?:[ \t]|$)")
INCLUDE = re.compile(r"^\s*-+8<-+")
# Fence options a Python block may carry (pymdownx.highlight / superfences, and ours).
PYTHON_OPTIONS = {"linenums", "hl_lines", "title", "data-notest", "data-torch"}
# data-torch="<2.0": the torch versions a block applies to (a version specifier: the behaviour
# it shows changed in another version). Elsewhere it is not run and the report records it as
# `not-applicable`; its output is compared exactly on the versions it applies to.
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


# ---------------------------------------------------------------- small rules (unit-tested on strings)


def decode_page(data: bytes, rel: Path) -> str:
    """UTF-8 text of a page, without a BOM; a file that is not UTF-8 is a PageError at its line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        byte = data[e.start]
        raise PageError(f"{rel}:{line}: not UTF-8 (byte {byte:#04x} at offset {e.start}): save it as UTF-8") from None
    return text.removeprefix("\ufeff")


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


def torch_range(spec: str):
    """`data-torch` as a packaging SpecifierSet (ValueError when it is none)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        specs = SpecifierSet(spec)
    except InvalidSpecifier as e:
        raise ValueError(str(e)) from None
    if not spec.strip() or not len(specs):
        raise ValueError("empty")
    return specs


def torch_applies(spec: str, torch: str) -> bool:
    """Whether a block with data-torch=`spec` applies to `torch` (its release: the local
    build tag, +cpu or +cu117, is not part of the version compared)."""
    from packaging.version import Version

    release = ".".join(map(str, Version(torch).release))
    return torch_range(spec).contains(release, prereleases=True)


def check_torch_range(spec: str, where: str) -> list[str]:
    try:
        torch_range(spec)
    except ValueError as e:
        return [
            f'{where}: data-torch="{spec}" is not a version range ({e}): write e.g. '
            '{.python data-torch="<2.0"} or {.python data-torch=">=2.0"}'
        ]
    return []


def check_tag(lang: str, opts: dict[str, str], where: str) -> list[str]:
    """Problems with a fence's tag and options: unknown tags, options that would hide a block."""
    if lang in RUN_TAGS or lang in CONSOLE_TAGS:
        problems = []
        if "data-notest" in opts and not opts["data-notest"].strip():
            problems.append(f'{where}: data-notest needs a reason: {{.{lang} data-notest="why it is not run"}}')
        if "data-torch" in opts:
            problems += check_torch_range(opts["data-torch"], where)
        for unknown in sorted(set(opts) - PYTHON_OPTIONS):
            problems.append(
                f"{where}: unknown option `{unknown}` on a Python block: "
                f'to show a block without running it write {{.{lang} data-notest="why"}}'
            )
        return problems
    if lang in SHOWN_TAGS:
        return []
    return [
        f"{where}: fence tag `{lang}` is neither run nor shown-only: use ```python (it runs), ```text "
        f"(shown), or add the tag to SHOWN_TAGS in engine/parser.py"
    ]


def check_unsafe_html(content: str, where: str) -> list[str]:
    return [f"{where}: <script> or on*= event handler in raw HTML"] if UNSAFE_HTML.search(content) else []


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


def check_lines(text: str, rel: Path, fenced: set[int]) -> list[str]:
    problems = []
    for n, s in enumerate(text.splitlines()):
        if n not in fenced and INCLUDE.match(s):
            problems.append(f"{rel}:{n + 1}: snippet includes are only allowed inside a code fence")
        if "TODO" in s:
            problems.append(f"{rel}:{n + 1}: TODO left from the page template: {s.strip()[:60]}")
    return problems


# ---------------------------------------------------------------- the Markdown parser


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


def _expand(raw: list[str], line: int, config_file: Path) -> tuple[str, list[int | None]]:
    snippets = snippet_preprocessor(config_file)
    source = "\n".join(snippets.run(raw)) + "\n"
    line_map: list[int | None] = []
    for n, raw_line in enumerate(raw):
        size = len(snippets.run([raw_line])) if INCLUDE.match(raw_line) else 0
        line_map += [None] * size if size else [line + 1 + n]
    return source, line_map


def read_page(path: Path, root: Path, config_file: Path) -> Page:
    """Parse `path`; page and line in every error and block are relative to `root`."""
    rel = path.relative_to(root)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise PageError(f"{rel}:1: cannot read the page: {e}") from None
    return parse_page(decode_page(data, rel), rel, config_file)


def fences(text: str, tokens=None) -> list[tuple[int, int, str]]:
    """(first line, line after the closing fence, info string) of every code fence, 0-based,
    also inside admonitions, details and tabs: the page rules (engine/style.py) use these."""
    tokens = markdown_parser().parse(text) if tokens is None else tokens
    return [(tok.map[0], tok.map[1], tok.info) for tok in tokens if tok.type == "fence" and tok.map]


def parse_page(text: str, rel: Path, config_file: Path) -> Page:
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
            if html.type in ("html_block", "html_inline"):
                problems += check_unsafe_html(html.content, f"{rel}:{tok.map[0] + 1 if tok.map else 1}")
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
            blocks[-1].output = Output(line, tok.content, tok.map[1], tok.markup)
            continue
        problems += check_tag(lang, opts, f"{rel}:{line}")
        if lang not in RUN_TAGS and not (lang in CONSOLE_TAGS and opts.get("data-notest", "").strip()):
            continue  # shown only (a console transcript without a reason is left to the coverage gate)
        raw = tok.content.splitlines()
        includes = [s.strip() for s in raw if INCLUDE.match(s)]
        source, line_map = tok.content, [line + 1 + n for n in range(len(raw))]
        if includes:
            try:
                source, line_map = _expand(raw, line, config_file)
            except SnippetMissingError as e:
                problems.append(f"{rel}:{line}: snippet include failed: {e}")
        blocks.append(
            Block(
                rel,
                line,
                len(blocks) + 1,
                source,
                includes,
                opts.get("data-notest"),
                None,
                line_map,
                lang,
                opts,
                end=tok.map[1],
            )
        )
    problems += check_lines(text, rel, fenced)
    problems += [f"{rel}:{n + 1}: {message}" for n, message in unsafe_includes(text.splitlines(), config_file.parent)]
    if rel.parts[:2] == ("docs", "qa"):
        problems += check_qa_front_matter(meta, rel, front_matter)
        problems += check_structure(str(rel), text, fences(text, tokens))
    if problems:
        raise PageError("\n".join(problems))
    chain_identities(blocks)
    return Page(rel, meta, blocks)
