"""The page model: a page, its blocks, their ```output blocks, and each block's identity."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path


class PageError(Exception):
    """A page the doc tests cannot read; the message starts with `file:line:`."""


@dataclass
class Output:
    line: int  # 1-based line of the ```output fence
    text: str
    end: int  # 1-based line of its closing fence
    fence: str = "```"  # the opening fence's backticks (a printed ``` needs a longer fence)


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
    tag: str = "python"
    options: dict[str, str] = field(default_factory=dict)
    identity: str = ""  # set by chain_identities once the page is read
    end: int = 0  # 1-based line of its closing fence

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def sha(self) -> str:
        return self.identity


@dataclass
class Page:
    path: Path
    meta: dict
    blocks: list[Block]


def block_identity(previous: str, block: Block) -> str:
    """hash(previous block's identity, the code as expanded, its expected output, its tag
    and options): a chain, so editing, reordering or duplicating anything on the page
    invalidates this block and every block after it."""
    shown = None if block.output is None else block.output.text
    data = json.dumps([previous, block.source, shown, block.tag, sorted(block.options.items())], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def chain_identities(blocks: list[Block]) -> None:
    previous = ""
    for block in blocks:
        block.identity = previous = block_identity(previous, block)
