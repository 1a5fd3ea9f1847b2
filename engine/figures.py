"""The site's figures, drawn by repository code (every snippets/figures*.py module's
`draw_all(dark)`) in a sandboxed page process, like any page code: the build process only
receives SVG text."""

from __future__ import annotations

from pathlib import Path

from engine.config import pyproject_options
from engine.fonts import FONT
from engine.sandbox import call_in_sandbox


def draw_figures(root: Path) -> dict[str, str]:
    """site path -> SVG text; {} for a site without snippets/figures*.py (the test fixtures:
    a page that links a figure then fails the build)."""
    modules = sorted(f"snippets.{p.stem}" for p in (root / "snippets").glob("figures*.py"))
    timeout = float(pyproject_options(root).get("doc_block_timeout", 60)) * 2
    out = {}
    for module in modules:
        for scheme, dark in (("light", False), ("dark", True)):
            drawn = call_in_sandbox(root, module, "draw_all", [dark], timeout, fonts=_fonts(root))
            if not isinstance(drawn, dict) or not all(isinstance(v, str) for v in drawn.values()):
                raise ValueError(f"{module}.draw_all({dark}) must return {{name: SVG text}}")
            for name, svg in drawn.items():
                if "/" in name or name.startswith("."):
                    raise ValueError(f"{module}.draw_all: figure name {name!r} is not a plain file name")
                out[f"assets/figures/{name}-{scheme}.svg"] = svg
    return out


def _fonts(root: Path) -> tuple[str, ...]:
    return (str((root / FONT).resolve()),) if (root / FONT).exists() else ()
