"""A Q&A page as a notebook (`.ipynb`) and a script (`.py`) a reader can take home.

Built from the parsed page the doc tests run (its blocks, includes expanded), so the
downloads cannot drift from the page: the Chinese text between blocks becomes markdown
cells (notebook) or comments (script); what the test harness sets before a page becomes a
visible first cell; a block that raises on purpose is tagged `raises-exception` in the
notebook and wrapped visibly in the script, so both run to the end.
Our own code because no library turns Material-flavoured Markdown pages into notebooks.
"""

from __future__ import annotations

import base64
import io
import re
import textwrap
import tokenize
from dataclasses import dataclass, field

import nbformat
from nbformat import v4

from engine import fonts
from engine.parser import torch_applies

TRACEBACK = "Traceback (most recent call last):"
CONTAINER = re.compile(
    r'^(?P<indent>\s*)(?:!!!|\?\?\?\+?|===\+?)\s*(?P<kind>[\w-]+(?:\s+[\w-]+)*)?\s*(?:"(?P<title>[^"]*)")?\s*$'
)
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\)(\{[^}]*\})?")
ATTACHMENT = re.compile(r"!\[(?P<alt>[^\]]*)\]\(attachment:[^)\s]+\)")
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)")


@dataclass
class Cell:
    kind: str  # "markdown", "code" or "shown" (a block shown on the page but not run there)
    text: str
    line: int = 0  # the block's line on the page (code cells)
    expected: str | None = None  # the page's output block, in the page's form
    reason: str | None = None  # why a "shown" block is not run
    attachments: dict[str, str] = field(default_factory=dict)  # markdown: file name -> SVG text

    @property
    def raises(self) -> bool:
        return self.expected is not None and TRACEBACK in self.expected


def no_figure(src: str) -> str | None:
    return None


def prose_markdown(lines: list[str], page_url, figure=no_figure, attachments: dict | None = None) -> str:
    """Material-only syntax turned into plain Markdown a notebook renders: admonition,
    details and tab headers become bold titles and their bodies are dedented; a figure
    the site build drew becomes an attachment of the cell when `figure(src)` gives its SVG
    (the light one: its glyphs are paths, so it needs no font), else a pointer to the page;
    links to other pages point to the site."""
    out: list[str] = []
    body_indent: int | None = None
    for line in lines:
        if body_indent is not None and line.strip() and len(line) - len(line.lstrip()) < body_indent:
            body_indent = None
        m = CONTAINER.match(line)
        if m:
            title = m["title"] or (m["kind"] or "").split()[0]
            out.append(" " * len(m["indent"]) + (f"**{title}**" if title else ""))
            body_indent = len(m["indent"]) + 4
            continue
        if body_indent is not None and line.startswith(" " * body_indent):
            line = line[4:]
        if "#only-dark" in line:
            continue
        line = IMAGE.sub(lambda i: _image(i, figure, attachments), line)
        line = LINK.sub(lambda k: _link(k, page_url), line)
        out.append(line)
    return "\n".join(out).strip("\n")


def _image(match, figure, attachments) -> str:
    svg = figure(match["src"]) if attachments is not None else None
    if svg is None:
        return f"（图：{match['alt']}，见网页版）"
    name = match["src"].split("#")[0].rsplit("/", 1)[-1]
    attachments[name] = svg
    return f"![{match['alt']}](attachment:{name})"


def no_link(href: str) -> str:
    return ""


def _link(match, page_url) -> str:
    """A link to another page of the site: to the site when its address is known, else its text."""
    href = match["href"]
    if "://" in href or not (".md" in href or href.startswith("#")):
        return match[0]
    target = page_url(href)
    return f"[{match['text']}]({target})" if target else match["text"]


def page_cells(text: str, blocks, page_url=no_link, figure=no_figure, torch: str | None = None) -> list[Cell]:
    """`torch`: the version the downloads are verified for (the pinned one); a block whose
    `data-torch` range excludes it is shown with its range, not run."""
    """The page in reading order: prose between blocks, then each block.
    `blocks` are the parsed page's blocks (attributes line, end, source, notest, output)."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        start = next(i for i in range(1, len(lines)) if lines[i].strip() == "---") + 1
    # the page's `# title` is the notebook's first cell already
    start = next((i + 1 for i in range(start, len(lines)) if lines[i].startswith("# ")), start)
    cells: list[Cell] = []
    pos = start
    for block in blocks:
        opening = block.line - 1
        attachments: dict[str, str] = {}
        prose = prose_markdown(lines[pos:opening], page_url, figure, attachments)
        if prose.strip():
            cells.append(Cell("markdown", prose, attachments=attachments))
        end, expected = block.end, None  # both 1-based closing-fence lines: the next prose starts after
        if block.output is not None:
            end, expected = block.output.end, block.output.text
        source = block.source.rstrip("\n")
        spec = block.options.get("data-torch")
        if block.notest is not None:
            cells.append(Cell("shown", source, block.line, reason=block.notest))
        elif spec is not None and torch is not None and not torch_applies(spec, torch):
            reason = f"只适用于 torch {spec}；这个文件按 torch {torch} 验证，在适用的版本上运行它会得到网页上的输出"
            cells.append(Cell("shown", source, block.line, reason=reason))
        else:
            cells.append(Cell("code", source, block.line, expected))
        pos = end
    attachments = {}
    tail = prose_markdown(lines[pos:], page_url, figure, attachments)
    if tail.strip():
        cells.append(Cell("markdown", tail, attachments=attachments))
    return cells


def setup_code(verified: str) -> str:
    """What the doc tests do before a page's first block, written out for the reader."""
    return textwrap.dedent(
        f"""\
        # 本页的代码在网站的测试里验证过：{verified}
        # 测试在每页第一段代码之前做了下面的设置；这里照做，输出才会和网页上的一致。
        import random

        import torch

        torch.set_default_dtype(torch.float32)
        torch.manual_seed(0)
        random.seed(0)
        # 想在 GPU 上运行：取消下一行的注释（网页上的输出是 CPU 上的结果）
        # torch.set_default_device("cuda")"""
    )


def to_notebook(
    title: str, url: str, verified: str, cells: list[Cell], font: bytes | None = None
) -> nbformat.NotebookNode:
    nb = v4.new_notebook()
    nb.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    nb.cells.append(v4.new_markdown_cell(f"# {title}\n\n网页版：{url}\n\n{verified}"))
    nb.cells.append(v4.new_code_cell(setup_code(verified), metadata={"page_line": 0, "tags": ["setup"]}))
    if font is not None:
        nb.cells.append(v4.new_code_cell(fonts.setup_code(font), metadata={"page_line": 0, "tags": ["setup"]}))
    for cell in cells:
        if cell.kind == "markdown":
            md = v4.new_markdown_cell(cell.text)
            if cell.attachments:
                # base64, as Jupyter (JupyterLab, nbconvert) reads every attachment, SVG included
                md.attachments = {
                    name: {"image/svg+xml": base64.b64encode(svg.encode("utf-8")).decode("ascii")}
                    for name, svg in cell.attachments.items()
                }
            nb.cells.append(md)
        elif cell.kind == "shown":
            nb.cells.append(
                v4.new_markdown_cell(f"网页上展示、但不运行的代码（{cell.reason}）：\n\n```python\n{cell.text}\n```")
            )
        else:
            meta = {"page_line": cell.line}
            if cell.raises:
                meta["tags"] = ["raises-exception"]
            nb.cells.append(v4.new_code_cell(cell.text, metadata=meta))
    for n, cell in enumerate(nb.cells):
        cell.id = f"cell-{n}"  # nbformat draws random ids: the same page must give the same file
    return nb


def spans_lines_in_string(code: str) -> bool:
    """Whether indenting `code` would change a string literal (a multi-line string)."""
    try:
        return any(
            tok.type == tokenize.STRING and tok.start[0] != tok.end[0]
            for tok in tokenize.generate_tokens(io.StringIO(code).readline)
        )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return True


def commented(text: str) -> str:
    return "\n".join(("# " + line).rstrip() for line in text.splitlines())


ERROR_PRINT = (
    'print("Traceback (most recent call last):\\n  ...\\n" + '
    '"".join(__import__("traceback").format_exception_only(type(e), e)).rstrip())'
)


def to_script(title: str, url: str, verified: str, cells: list[Cell], font: bytes | None = None) -> str:
    parts = [f"# {title}\n# 网页版：{url}\n#\n" + setup_code(verified)]
    if font is not None:
        parts.append(fonts.setup_code(font))
    for cell in cells:
        if cell.kind == "markdown":
            parts.append(commented(ATTACHMENT.sub(lambda i: f"（图：{i['alt']}，见网页版）", cell.text)))
        elif cell.kind == "shown":
            parts.append(f"# 网页上展示、但不运行的代码（{cell.reason}）：\n" + commented(cell.text))
        elif cell.raises:
            # The page shows this block raising: print the error the way the page shows it and go on.
            if spans_lines_in_string(cell.text):
                body = f"    exec(compile({cell.text!r}, '<页面第 {cell.line} 行>', 'exec'))"
            else:
                body = textwrap.indent(cell.text, "    ")
            parts.append(
                f"# 页面第 {cell.line} 行：这段代码故意报错，下面把报错打印出来，脚本继续运行。\n"
                f"try:\n{body}\nexcept Exception as e:\n    {ERROR_PRINT}"
            )
        else:
            parts.append(f"# 页面第 {cell.line} 行\n{cell.text}")
    return "\n\n".join(parts) + "\n"


def page_downloads(
    page,
    text: str,
    verified: str,
    url: str,
    page_url=no_link,
    font: bytes | None = None,
    figure=no_figure,
    torch: str | None = None,
) -> dict[str, str]:
    """suffix -> file content: the page's notebook (`.ipynb`) and script (`.py`); `font`: the
    figures' CJK font (engine/fonts.py) for a page that draws, carried inline."""
    cells = page_cells(text, page.blocks, page_url, figure, torch)
    title = str(page.meta.get("title") or page.path.stem)
    return {
        ".ipynb": nbformat.writes(to_notebook(title, url, verified, cells, font)) + "\n",
        ".py": to_script(title, url, verified, cells, font),
    }
