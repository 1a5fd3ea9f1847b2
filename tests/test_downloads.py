"""Every Q&A page's downloads run as downloaded: the built site's qa/NAME.ipynb top to
bottom in a real Jupyter kernel (a fresh kernel per notebook, a per-cell timeout) and its
qa/NAME.py with plain `python`, each in a scratch folder, and what each block prints
matches the page's `output` block. A failure names the page and the block's line on the
page. Two run at a time (one per core)."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from engine.config import pinned_torch
from engine.notebook import TRACEBACK, Cell, page_cells

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT = 120
PAGES = sorted((ROOT / "docs" / "qa").glob("*.md"))


def normalised(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def parsed(page: Path):
    from engine.parser import read_page

    return read_page(page, ROOT, ROOT / "mkdocs.yml")


def expected(page: Path) -> list[Cell]:
    return page_cells(page.read_text("utf-8"), parsed(page).blocks, torch=pinned_torch(ROOT))


def notebook_outputs(nb) -> dict[int, str]:
    """What each code cell showed, keyed by its line on the page, in the page's form."""
    shown = {}
    for cell in nb.cells:
        line = cell.get("metadata", {}).get("page_line")
        if cell.cell_type != "code" or not line:
            continue
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")
        for o in cell.outputs:
            if o.output_type == "error":
                text += f"{TRACEBACK}\n  ...\n{o.ename}: {o.evalue}" if o.evalue else f"{TRACEBACK}\n  ...\n{o.ename}"
        shown[line] = normalised(text)
    return shown


def run_notebook(page: Path, site: Path, tmp: Path) -> list[str]:
    rel = page.relative_to(ROOT).as_posix()
    cells = expected(page)
    downloaded = site / "qa" / f"{page.stem}.ipynb"
    if not downloaded.is_file():
        return [f"{rel}:1: the site has no {downloaded.name}"]
    nb = nbformat.read(downloaded, as_version=4)
    nbformat.validate(nb)
    workdir = tmp / f"nb-{page.stem}"
    workdir.mkdir(exist_ok=True)
    try:
        NotebookClient(
            nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
        ).execute()
    except CellTimeoutError as e:
        return [f"{rel}: a notebook cell ran past {CELL_TIMEOUT} s: {str(e)[:300]}"]
    except CellExecutionError as e:
        line = next(
            (
                c.metadata.get("page_line")
                for c in nb.cells
                if c.cell_type == "code"
                and any(o.output_type == "error" for o in c.get("outputs", []))
                and "raises-exception" not in c.metadata.get("tags", [])
            ),
            "?",
        )
        return [f"{rel}:{line}: the notebook cell raised an error the page does not show:\n{str(e)[-1500:]}"]
    shown = notebook_outputs(nb)
    return [
        f"{rel}:{cell.line}: in the notebook this block printed\n{shown.get(cell.line)!r}\n"
        f"the page shows\n{normalised(cell.expected)!r}"
        for cell in cells
        if cell.kind == "code" and cell.expected is not None and shown.get(cell.line) != normalised(cell.expected)
    ]


def run_script(page: Path, site: Path, tmp: Path) -> list[str]:
    """The script's whole output must be the page's outputs in page order: find the
    first block whose output is not where it should be."""
    rel = page.relative_to(ROOT).as_posix()
    cells = expected(page)
    downloaded = site / "qa" / f"{page.stem}.py"
    if not downloaded.is_file():
        return [f"{rel}:1: the site has no {downloaded.name}"]
    workdir = tmp / f"py-{page.stem}"
    workdir.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, str(downloaded)], capture_output=True, text=True, cwd=workdir, timeout=600, env=env
    )
    if proc.returncode != 0:
        return [f"{rel}: `python {page.stem}.py` exited {proc.returncode}:\n{proc.stderr[-1500:]}"]
    rest = normalised(proc.stdout)
    for cell in cells:
        if cell.kind != "code" or cell.expected is None:
            continue
        want = normalised(cell.expected)
        at = rest.find(want)
        if at < 0:
            return [
                f"{rel}:{cell.line}: the script's output does not contain, after the blocks before it, "
                f"what the page shows:\n{want[:800]}"
            ]
        rest = rest[at + len(want) :]
    return []


@pytest.fixture(scope="session")
def ran(request, site, tmp_path_factory) -> dict[tuple[str, Path], list[str]]:
    """Every selected notebook and script, run two at a time; (kind, page) -> problems."""
    tmp = tmp_path_factory.mktemp("downloads")
    jobs = [
        (item.callspec.params["kind"], item.callspec.params["page"])
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_runs_as_downloaded"
    ]
    run = {"notebook": run_notebook, "script": run_script}

    def one(job) -> list[str]:
        kind, page = job
        try:
            return run[kind](page, site, tmp)
        except Exception as e:  # a kernel that died, a script past its time limit: this page's failure only
            return [f"{page.relative_to(ROOT).as_posix()}:1: running the {kind} failed: {type(e).__name__}: {e}"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(jobs, pool.map(one, jobs)))


@pytest.mark.parametrize("kind", ["notebook", "script"])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_runs_as_downloaded(kind, page, ran):
    problems = ran[(kind, page)]
    assert not problems, "\n".join(problems)


def test_the_same_page_gives_the_same_files():
    """The downloads are part of the published site: a rebuild must not change them."""
    from engine.notebook import page_downloads

    page = ROOT / "docs" / "qa" / "sgd-rebind-bug.md"
    first, second = (page_downloads(parsed(page), page.read_text("utf-8"), "v", "u") for _ in range(2))
    assert first == second
    nbformat.validate(nbformat.reads(first[".ipynb"], as_version=4))


def test_the_figure_font_has_every_label_character(tmp_path):
    """The committed font subset (engine/fonts.py) covers every character the figure code
    writes; a new label character is found (then: `python -m engine.fonts`)."""
    from engine import fonts

    assert fonts.missing_characters(ROOT) == set(), (
        "a figure label has characters the font lacks: python -m engine.fonts"
    )
    (tmp_path / fonts.FONT).parent.mkdir(parents=True)
    (tmp_path / fonts.FONT).write_bytes((ROOT / fonts.FONT).read_bytes())
    (tmp_path / "snippets" / "figures_new.py").write_text('LABEL = "学习率龘"\n', "utf-8")
    assert fonts.missing_characters(tmp_path) == {"龘"}


def without_cjk_fonts(command: list[str], cwd: Path, tmp: Path) -> subprocess.CompletedProcess:
    """Run `command` where no font is installed: its own mount namespace with an empty
    /usr/share/fonts, and an empty matplotlib cache (which would remember the fonts)."""
    cache = tmp / f"mpl-{len(list(tmp.iterdir()))}"
    cache.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MPLCONFIGDIR": str(cache)}
    hidden = 'mount -t tmpfs none /usr/share/fonts && exec "$@"'
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", hidden, "sh", *command],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def test_figures_draw_where_no_cjk_font_is_installed(site, tmp_path):
    """A downloaded script that draws (optimizer-trajectories) carries the font and draws its
    Chinese labels on a machine without CJK fonts; the same script without its font cell
    draws boxes there ("Glyph … missing"), so the machine really has none."""
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0 or not Path("/usr/share/fonts").is_dir():
        pytest.skip(f"cannot hide the installed fonts here (unshare --mount: {probe.stderr.decode().strip()})")
    drawing = sorted(p for p in (site / "qa").glob("*.py") if "QAFiguresCJK" in p.read_text("utf-8"))
    assert "optimizer-trajectories.py" in [p.name for p in drawing]
    for script in drawing:
        with_font = without_cjk_fonts([sys.executable, "-W", "always", str(script)], tmp_path, tmp_path)
        assert with_font.returncode == 0, with_font.stderr[-1500:]
        assert "missing from font" not in with_font.stderr, f"{script.name}: {with_font.stderr[-1500:]}"
        text = script.read_text("utf-8")
        start = text.index("# 图里的中文用网站自带的字体")
        end = text.index("font_manager.fontManager.addfont(_font)") + len("font_manager.fontManager.addfont(_font)")
        bare = tmp_path / f"bare-{script.name}"
        bare.write_text(text[:start] + text[end:], "utf-8")
        without = without_cjk_fonts([sys.executable, "-W", "always", str(bare)], tmp_path, tmp_path)
        assert without.returncode == 0, without.stderr[-1500:]
        assert "missing from font" in without.stderr, f"{script.name}: CJK glyphs found without the font"


def test_notebooks_show_the_pages_figures(site):
    """Every figure a page shows is in its notebook as an attachment, the very SVG the site
    serves (glyphs drawn as paths: no font needed), not a pointer to the web page."""
    import base64
    import re

    figures = {}
    for page in PAGES:
        shown = re.findall(
            r"!\[[^\]]*\]\(\.\./assets/figures/([\w-]+-light\.svg)#only-light\)", page.read_text("utf-8")
        )
        if shown:
            figures[page.stem] = shown
    assert "optimizer-trajectories" in figures and "d2l-sgd-momentum" in figures
    for stem, names in figures.items():
        nb = nbformat.read(site / "qa" / f"{stem}.ipynb", as_version=4)
        attached = {
            n: base64.b64decode(a["image/svg+xml"]).decode("utf-8")  # base64, as Jupyter reads attachments
            for c in nb.cells
            for n, a in c.get("attachments", {}).items()
        }
        for name in names:
            assert attached.get(name) == (site / "assets" / "figures" / name).read_text("utf-8"), f"{stem}: {name}"
            assert any(f"(attachment:{name})" in c.source for c in nb.cells if c.cell_type == "markdown")
