"""TeX to MathML at build time, as a Python-Markdown extension (`engine.mathml` in
mkdocs.yml's `markdown_extensions`, after `pymdownx.arithmatex` with `generic: true`).

Browsers render MathML natively, so formulas need no CDN and no JavaScript and work
offline. Being a Markdown extension rather than an MkDocs hook, it runs under any
generator that runs Python-Markdown extensions (MkDocs, ProperDocs, Zensical).

A formula latex2mathml cannot read stops the build: the error names the formula, and
the generator names the page it was converting (MkDocs: "Error reading page 'qa/x.md'").
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from markdown import Extension
from markdown.postprocessors import Postprocessor

# arithmatex (generic mode) writes \( ... \) in a span and \[ ... \] in a div.
MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*\\(?P<open>[\(\[])(?P<tex>.*?)\\[\)\]]\s*</(?P=tag)>',
    re.DOTALL,
)


class MathMLError(ValueError):
    """A formula latex2mathml cannot convert."""


def to_mathml(text: str) -> str:
    """Every arithmatex formula in this HTML as MathML, in the same span/div."""

    def replace(m: re.Match) -> str:
        tex = html.unescape(m["tex"])
        display = "block" if m["open"] == "[" else "inline"
        try:
            mathml = convert(tex, display=display)
        except Exception as e:  # latex2mathml raises many unrelated exception types
            why = f"{type(e).__name__} {e}".rstrip()
            raise MathMLError(f"cannot convert formula {tex.strip()!r} to MathML: {why}") from e
        return f'<{m["tag"]} class="arithmatex">{mathml}</{m["tag"]}>'

    return MATH.sub(replace, text)


class _MathMLPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        return to_mathml(text)


class MathMLExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        # Last of all (raw_html is 30, amp_substitute 20): the page's final HTML, stashed parts restored.
        md.postprocessors.register(_MathMLPostprocessor(md), "mathml", 1)


def makeExtension(**kwargs):  # noqa: N802 (Python-Markdown's name)
    return MathMLExtension(**kwargs)
