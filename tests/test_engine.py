"""Fast in-process tests of engine/: parser rules on sample strings, block identities,
the report model (badges, trust, concurrency, malformed files), escaping, diffs,
--update-output's fence, and the figures drawn outside the build process."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pygments.lexers import get_all_lexers

from engine.badges import State
from engine.page import Block, Output, PageError
from engine.parser import CONSOLE_TAGS, RUN_TAGS, SHOWN_TAGS, check_tag, decode_page, fence_info, parse_page
from engine.pytest_plugin import MAX_DIFF_LINES, truncated_diff, update_output
from engine.report import Entry, Report, ReportError, Run, trusted_reports

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "mkdocs.yml"


def parse(text: str, name: str = "docs/p.md"):
    return parse_page(textwrap.dedent(text).lstrip(), Path(name), CONFIG)


# ---------------------------------------------------------------- parser rules


def test_every_tag_pygments_highlights_as_python_is_run_or_a_console_transcript():
    python_lexers = {"Python", "Python 2.x", "NumPy", "Python console session"}
    aliases = {a for name, names, _, _ in get_all_lexers() if name in python_lexers for a in names}
    assert aliases, "pygments lexers renamed?"
    assert aliases <= RUN_TAGS | CONSOLE_TAGS, aliases - RUN_TAGS - CONSOLE_TAGS
    assert not (RUN_TAGS | CONSOLE_TAGS) & SHOWN_TAGS


@pytest.mark.parametrize("info", sorted(RUN_TAGS) + ["{.py3}", "{.numpy linenums='1'}", "{ .python3 }"])
def test_every_python_like_tag_runs(info):
    page = parse(f"```{info}\nx = 1\n```\n")
    assert [b.source for b in page.blocks] == ["x = 1\n"], info
    assert page.blocks[0].notest is None


def test_shown_only_and_unknown_tags():
    assert parse("```text\nx = 1\n```\n\n```bash\nls\n```\n\n```yaml\na: 1\n```\n").blocks == []
    with pytest.raises(PageError, match=r"docs/p.md:1: fence tag `cython` is neither run nor shown-only"):
        parse("```cython\nx = 1\n```\n")
    assert check_tag("pyx", {}, "p.md:3") and not check_tag("toml", {}, "p.md:3")


def test_console_transcripts_are_shown_only_with_a_reason():
    assert parse("```pycon\n>>> 1\n```\n").blocks == []  # the coverage gate reports it
    (block,) = parse('```{.pycon data-notest="a transcript"}\n>>> 1\n```\n').blocks
    assert block.notest == "a transcript"
    with pytest.raises(PageError, match="data-notest needs a reason"):
        parse('```{.python-console data-notest=""}\n>>> 1\n```\n')


def test_existing_syntax_still_reads():
    page = parse(
        """
        ```python linenums="1" hl_lines="2" title="t.py"
        x = 1
        ```

        !!! note "n"
            ```{.python data-notest="needs a download"}
            open("/data")
            ```

        === "Tab"

            ```python
            print(x)
            ```

            ```output
            1
            ```
        """
    )
    assert [(b.line, b.notest) for b in page.blocks] == [(1, None), (6, "needs a download"), (12, None)]
    assert page.blocks[2].output.text == "1\n"
    assert fence_info('{.python data-notest="a b"}') == ("python", {"data-notest": "a b"})


QA_SECTIONS = "\n## 问题\n\n## 简短回答\n\n## 动手跑一遍\n\n## 常见误区\n\n## 参考\n"  # what every Q&A page has


def test_non_utf8_names_the_line_and_a_bom_is_dropped():
    with pytest.raises(PageError, match=r"docs/x.md:2: not UTF-8 \(byte 0xff"):
        decode_page(b"# ok\n\xff\n", Path("docs/x.md"))
    text = decode_page("\ufeff---\ntitle: t\n---\n".encode(), Path("docs/x.md"))
    assert text.startswith("---")
    page = parse_page(
        decode_page(
            (
                "\ufeff---\ntitle: t\nquestion: q\nanswer: a\ntorch_min: '2.0'\ntags: [a]\nkeywords: [k]\n---\n"
                + QA_SECTIONS
            ).encode(),
            Path("docs/qa/x.md"),
        ),
        Path("docs/qa/x.md"),
        CONFIG,
    )
    assert page.meta["title"] == "t"


# ---------------------------------------------------------------- identity: a chain over what the reader sees

PAGE = """
```python
x = 41
```

```python
print(x + 1)
```

```output
42
```

```python
y = x
```
"""


def ids(text: str) -> list[str]:
    return [b.identity for b in parse(text).blocks]


def test_editing_the_output_block_changes_that_identity_and_all_after():
    a, b = ids(PAGE), ids(PAGE.replace("42\n```", "43\n```"))
    assert a[0] == b[0] and a[1] != b[1] and a[2] != b[2]


def test_reordering_or_duplicating_blocks_changes_identities():
    swapped = PAGE.replace("x = 41", "TMP").replace("y = x", "x = 41").replace("TMP", "y = x")
    assert set(ids(swapped)).isdisjoint(ids(PAGE))
    duplicated = PAGE + "\n```python\ny = x\n```\n"
    d = ids(duplicated)
    assert d[:3] == ids(PAGE) and d[3] != d[2]  # the copy does not inherit the original's passes


def test_options_are_part_of_the_identity():
    assert ids("```python\nx = 1\n```\n") != ids('```{.python data-notest="why"}\nx = 1\n```\n')


# ---------------------------------------------------------------- report model and badges


def make_run(
    run_id: str, started: str, torch: str = "2.13.0", command: str = "python -m pytest", commit: str = "c" * 40
):
    return Run(run_id, command, commit, False, "host", torch, "3.11.7", {"cpu": "CPU"}, {"cpu": "x"}, started)


def entries(run: Run, blocks, outcomes, page="docs/p.md", device="cpu"):
    return [
        Entry(run.run_id, page, b.line, b.index, len(blocks), b.identity, device, o, 0.1, run.torch, run.host, "x")
        for b, o in zip(blocks, outcomes)
    ]


def report_of(*parts) -> Report:
    report = Report()
    for run, es in parts:
        report = report.merge(Report({run.run_id: run}, es))
    return report


BLOCKS = parse(PAGE).blocks


def test_one_complete_passing_run_verifies_the_page():
    run = make_run("a", "2026-01-01")
    assert report_of((run, entries(run, BLOCKS, ["passed"] * 3))).verified("docs/p.md", BLOCKS, "cpu") == run


def test_a_newer_failing_run_withdraws_the_badge():
    old, new = make_run("a", "2026-01-01"), make_run("b", "2026-01-02")
    report = report_of((old, entries(old, BLOCKS, ["passed"] * 3)), (new, entries(new, BLOCKS[1:2], ["failed"])))
    assert report.verified("docs/p.md", BLOCKS, "cpu") is None


def test_a_partial_run_or_passes_from_two_runs_do_not_verify():
    a, b = make_run("a", "2026-01-01"), make_run("b", "2026-01-02")
    partial = report_of((a, entries(a, BLOCKS[:2], ["passed"] * 2)))
    assert partial.verified("docs/p.md", BLOCKS, "cpu") is None
    split = report_of((a, entries(a, BLOCKS[:2], ["passed"] * 2)), (b, entries(b, BLOCKS[2:], ["passed"])))
    assert split.verified("docs/p.md", BLOCKS, "cpu") is None


def test_edited_page_is_not_covered_by_old_passes():
    run = make_run("a", "2026-01-01")
    report = report_of((run, entries(run, BLOCKS, ["passed"] * 3)))
    edited = parse(PAGE.replace("42\n```", "43\n```")).blocks
    assert report.verified("docs/p.md", edited, "cpu") is None


def test_a_run_without_provenance_backs_nothing():
    run = make_run("a", "2026-01-01", command="")
    assert report_of((run, entries(run, BLOCKS, ["passed"] * 3))).verified("docs/p.md", BLOCKS, "cpu") is None


def test_another_torch_for_one_page_does_not_relabel_the_others():
    a, b = make_run("a", "2026-01-01"), make_run("b", "2026-01-02", torch="9.9")
    report = report_of(
        (a, entries(a, BLOCKS, ["passed"] * 3) + entries(a, BLOCKS, ["passed"] * 3, page="docs/q.md")),
        (b, entries(b, BLOCKS, ["passed"] * 3, page="docs/q.md")),
    )
    assert report.verified("docs/p.md", BLOCKS, "cpu").torch == "2.13.0"
    assert report.verified("docs/q.md", BLOCKS, "cpu").torch == "9.9"
    assert {e.torch for e in report.entries if e.page == "docs/p.md"} == {"2.13.0"}


def test_save_merges_and_load_validates(tmp_path):
    path = tmp_path / "r.json"
    a, b = make_run("a", "2026-01-01"), make_run("b", "2026-01-02")
    Report({"a": a}, entries(a, BLOCKS, ["passed"] * 3)).save(path)
    Report({"b": b}, entries(b, BLOCKS, ["passed"] * 3, page="docs/q.md")).save(path)
    loaded = Report.load(path)
    assert {e.page for e in loaded.entries} == {"docs/p.md", "docs/q.md"}
    data = json.loads(path.read_text("utf-8"))
    del data["entries"][0]["outcome"]
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ReportError, match=r"r\.json: entries\[0\]: field `outcome` missing"):
        Report.load(path)


def _writer(path: str, n: int) -> None:
    blocks = parse(PAGE).blocks
    for k in range(20):
        run = make_run(f"w{n}-{k}", f"2026-01-01T00:00:{n:02d}")
        Report({run.run_id: run}, entries(run, blocks[:1], ["passed"], page=f"docs/w{n}-{k}.md")).save(Path(path))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "r.json"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), n)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert len({e.page for e in Report.load(path).entries}) == 60


def write_site(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")


def test_only_local_and_listed_reports_are_trusted(tmp_path, capsys):
    run = make_run("a", "2026-01-01")
    good = json.dumps(Report({"a": run}, entries(run, BLOCKS, ["passed"] * 3)).to_json())
    digest = hashlib.sha256(good.encode()).hexdigest()

    write_site(
        tmp_path,
        {
            "verification/b200-forged.json": good,  # hand-written or planted by a block: not listed
            "verification/h100-listed.json": good,
            "verification/h100-tampered.json": good,
            "verification/local.json": '{"format": 2, "runs": [], "entries": [{"page": 1}]}',
            "verification/trusted.toml": (
                f'[[report]]\nfile = "verification/h100-listed.json"\nsha256 = "{digest}"\n'
                f'[[report]]\nfile = "verification/h100-tampered.json"\nsha256 = "{"0" * 64}"\n'
            ),
        },
    )
    trusted = trusted_reports(tmp_path)
    assert [name for name, _ in trusted] == ["verification/h100-listed.json"]
    err = capsys.readouterr().err
    assert "b200-forged.json: ignored, not listed" in err
    assert "h100-tampered.json: ignored, its sha256" in err
    assert "local.json" in err and "ignored" in err  # malformed: a warning naming the file, no crash


def test_report_fields_are_escaped_in_the_html():
    run = make_run("a", "2026-01-01", torch="<script>alert(1)</script>")
    state = State()
    state.report = report_of((run, entries(run, BLOCKS, ["passed"] * 3)))
    state.files = [("verification/local.json", state.report)]
    state.pages = {"docs/p.md": BLOCKS}
    html = state.report_table() + state.badge("docs/p.md", BLOCKS, "")
    assert "<script>" not in html and "&lt;script&gt;" in html


# ---------------------------------------------------------------- runner helpers


def test_failure_diffs_are_truncated():
    diff = truncated_diff("\n".join(map(str, range(5000))), "\n".join(map(str, range(9000, 14000))))
    assert len(diff.splitlines()) == MAX_DIFF_LINES + 1 and "more lines of diff not shown" in diff


def test_update_output_lengthens_the_fence_for_printed_backticks(tmp_path):
    page = tmp_path / "p.md"
    page.write_text('```python\nprint("```")\n```\n\n```output\nold\n```\n\nafter\n', "utf-8")
    (block,) = parse_page(page.read_text("utf-8"), Path("p.md"), CONFIG).blocks
    update_output(page, block.output, "```\n````")
    text = page.read_text("utf-8")
    assert "`````output\n```\n````\n`````\n\nafter\n" in text, text
    (again,) = parse_page(text, Path("p.md"), CONFIG).blocks
    assert again.output.text == "```\n````\n"
    assert isinstance(again.output, Output) and isinstance(again, Block)


# ---------------------------------------------------------------- figures


def test_figures_are_drawn_outside_the_build_process(tmp_path):
    from engine.figures import draw_figures

    write_site(
        tmp_path,
        {
            "snippets/figures.py": "import os\n\n"
            "def draw_all(dark):\n    return {'f': f'<svg>{os.getpid()} {dark}</svg>'}\n",
            "pyproject.toml": "",
        },
    )
    drawn = draw_figures(tmp_path)
    assert set(drawn) == {"assets/figures/f-light.svg", "assets/figures/f-dark.svg"}
    assert (
        str(os.getpid()) not in drawn["assets/figures/f-light.svg"] and "False" in drawn["assets/figures/f-light.svg"]
    )
    assert "snippets.figures" not in sys.modules


# ---------------------------------------------------------------- the worker on an old Python


def test_the_worker_is_python38_syntax():
    import ast

    ast.parse((REPO / "engine" / "worker.py").read_text("utf-8"), feature_version=(3, 8))


FAKE_TORCH = """
__version__ = "1.12.1+fake"
class _Cuda:
    @staticmethod
    def is_available():
        return False
    @staticmethod
    def is_initialized():
        return False
cuda = _Cuda()
class _Gen:
    def manual_seed(self, seed):
        return self
class random:
    default_generator = _Gen()
def set_num_threads(n):
    pass
"""


def python38() -> str | None:
    """A working Python 3.8 (a pyenv shim on PATH may refuse to run it)."""
    candidates = [shutil.which("python3.8"), *map(str, Path.home().glob(".pyenv/versions/3.8*/bin/python3.8"))]
    for exe in filter(None, candidates):
        if subprocess.run([exe, "-c", "pass"], capture_output=True).returncode == 0:
            return exe
    return None


@pytest.mark.skipif(not python38(), reason="no python3.8 on this machine")
def test_the_worker_runs_page_code_under_python38(tmp_path):
    """The page side must run where a GPU machine keeps an old torch (here a stand-in torch)."""
    from engine.sandbox import Policy, Zygote

    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "__init__.py").write_text(FAKE_TORCH, "utf-8")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(tmp_path)
    try:
        zygote = Zygote(tmp_path, python=python38())
        assert zygote.hello()["python"].startswith("3.8") and zygote.hello()["torch"] == "1.12.1+fake"
    finally:
        os.environ.pop("PYTHONPATH") if old is None else os.environ.__setitem__("PYTHONPATH", old)
    try:
        page = zygote.start_page("cpu", Policy(), 30)
        reply = page.run_block("import sys\nprint(sys.version_info[:2])\n1 / 0\n", "docs/p.md", 4, 30)
        assert reply["stdout"] == "(3, 8)\n"
        assert reply["error"]["type"] == "ZeroDivisionError" and 'docs/p.md", line 7' in reply["error"]["traceback"]
        page.close()
    finally:
        zygote.close()


def test_the_badge_says_why_a_device_is_unverified():
    """Never run there, the last run there failed, or the code changed after it."""
    state = State()
    run = make_run("a", "2026-01-01")
    state.report = report_of((run, entries(run, BLOCKS, ["passed"] * 3)))
    assert "CUDA 未验证（还没有在 CUDA 上运行过）" in state.badge("docs/p.md", BLOCKS, "")
    gpu = make_run("g", "2026-01-02")
    state.report = report_of((gpu, entries(gpu, BLOCKS, ["passed", "failed", "skipped"], device="cuda")))
    assert "CUDA 未验证（2026-01-02 在 CUDA 上的运行没有全部通过）" in state.badge("docs/p.md", BLOCKS, "")
    edited = parse(PAGE.replace("x = 41", "x = 40")).blocks
    state.report = report_of((gpu, entries(gpu, BLOCKS, ["passed"] * 3, device="cuda")))
    assert "CUDA 未验证（代码在上次 CUDA 运行（2026-01-02）之后改过）" in state.badge("docs/p.md", edited, "")
