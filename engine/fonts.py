"""The figures' Chinese font: a subset of Noto Sans CJK SC (SIL OFL 1.1) with only the
characters the figure code writes, kept in the repository (snippets/fonts/), so a figure
has the same glyphs on the build machine, in the tests and on a reader's machine without
any CJK font (matplotlib would draw boxes and warn "Glyph … missing" there).

The page processes register it before a page that uses matplotlib (engine/worker.py), the
site's figures are drawn with it (engine/figures.py), and the downloaded notebook and
script carry it inline in their setup cell (engine/notebook.py).
Regenerate after changing a figure's labels: `python -m engine.fonts` (needs the
fonts-noto-cjk package and fontTools, a matplotlib dependency).
"""

from __future__ import annotations

import base64
import io
import sys
import textwrap
import tokenize
from pathlib import Path

FAMILY = "QA Figures CJK"  # renamed: a modified OFL font keeps no upstream font name
FONT = Path("snippets/fonts/QAFiguresCJK-Regular.otf")
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
FIGURE_CODE = "snippets/figures*.py"
# Tick labels (numbers, U+2212 minus, mathtext exponents) use the first font of the list,
# without per-glyph fallback: the subset carries them too, as the full font did.
ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "\u2212"


def uses_matplotlib(sources) -> bool:
    """Whether a page's code draws with matplotlib: then its process (and its notebook)
    gets the font before the first block."""
    return any("matplotlib" in source for source in sources)


def figure_characters(root: Path) -> set[str]:
    """Every non-ASCII character in a string literal of the figure code: the labels, and
    (harmlessly) docstrings."""
    chars: set[str] = set()
    for path in sorted(root.glob(FIGURE_CODE)):
        for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
            if tok.type == tokenize.STRING:
                chars.update(c for c in tok.string if ord(c) > 127)
    return chars


def font_characters(path: Path) -> set[str]:
    from fontTools.ttLib import TTFont

    return {chr(code) for code in TTFont(path).getBestCmap()}


def missing_characters(root: Path) -> set[str]:
    """Characters the figure code writes that the committed subset lacks (empty when current)."""
    return (figure_characters(root) | set(ALWAYS)) - font_characters(root / FONT)


def make_subset(root: Path, source: Path = SOURCE) -> Path:
    """Write snippets/fonts/QAFiguresCJK-Regular.otf from the system's Noto Sans CJK SC."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    font = next(f for f in TTCollection(source).fonts if f["name"].getDebugName(1) == SOURCE_FAMILY)
    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]  # keep copyright, licence, trademark
    options.layout_features = []
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(figure_characters(root) | set(ALWAYS))))
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 4, 16):
            names.setName(FAMILY, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 6):
            names.setName("QAFiguresCJK-Regular", record.nameID, record.platformID, record.platEncID, record.langID)
    names.names = [r for r in names.names if r.nameID not in (16, 17) or r.toUnicode() == FAMILY]
    cff = font["CFF "].cff
    cff.fontNames = ["QAFiguresCJK-Regular"]
    top = cff.topDictIndex[0]
    top.FamilyName = top.FullName = FAMILY
    font.recalcTimestamp = False  # the same labels give the same file
    out = root / FONT
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    return out


def setup_code(font_bytes: bytes) -> str:
    """The notebook's and script's font cell: the subset travels inside the download."""
    data = base64.b64encode(font_bytes).decode("ascii")
    lines = "\n".join(f'    "{data[i : i + 100]}"' for i in range(0, len(data), 100))
    return (
        textwrap.dedent(
            """\
        # 图里的中文用网站自带的字体：Noto Sans CJK SC 的子集（只含图里用到的字，SIL OFL 1.1 许可）。
        # 没装中文字体的机器上，matplotlib 也能画出中文，不会变成方框。
        import base64
        import os
        import tempfile

        from matplotlib import font_manager

        _font = os.path.join(tempfile.gettempdir(), "QAFiguresCJK-Regular.otf")
        with open(_font, "wb") as f:
            f.write(base64.b64decode(
        """
        )
        + lines
        + "\n    ))\nfont_manager.fontManager.addfont(_font)"
    )


if __name__ == "__main__":
    path = make_subset(Path.cwd())
    print(f"{path}: {len(font_characters(path))} characters, {path.stat().st_size} bytes")
    sys.exit(0)
