"""MkDocs hook: turn the TeX that pymdownx.arithmatex marks into MathML at build time.

Browsers render MathML natively, so formulas need no CDN, no JavaScript and
work offline. A formula latex2mathml cannot read fails the build, naming the page.
"""

import html
import re

from latex2mathml.converter import convert

# arithmatex (generic mode) writes \( ... \) in a span and \[ ... \] in a div.
MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*\\(?P<open>[\(\[])(?P<tex>.*?)\\[\)\]]\s*</(?P=tag)>',
    re.DOTALL,
)


def on_page_content(content, page, **kwargs):
    def to_mathml(m):
        tex = html.unescape(m["tex"])
        display = "block" if m["open"] == "[" else "inline"
        try:
            return f'<{m["tag"]} class="arithmatex">{convert(tex, display=display)}</{m["tag"]}>'
        except Exception as e:
            raise ValueError(f"{page.file.src_path}: cannot convert formula {tex!r} to MathML: {e}") from e

    return MATH.sub(to_mathml, content)
