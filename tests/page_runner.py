"""pytest plugin: every Python block of every page under `docs/` becomes a test.

Loaded by `-p tests.page_runner` in pyproject.toml. Built on pytest-markdown-docs:
its item class (fixtures), its runner (exec of a block) and its failure report
(the block with page line numbers). What this file adds:

- blocks come from `page_parser.read_page`: admonitions, tabs and includes as rendered;
- each block runs on CPU and again on CUDA, as `page.md::[CodeFence#3][line:40][cpu]`;
  CUDA items are skipped, with the reason, when there is no GPU;
- a page runs like a notebook: its blocks share one namespace per device, in page
  order; each page starts from fresh torch state (default device/dtype, grad mode,
  seed), so no page can change another's result; after a failure the rest of that
  page is skipped, naming the failed block;
- an ```output block after a Python block is compared with what the block printed
  (and the exception it raised), on CPU;
- a block that runs past `doc_block_timeout` seconds fails, naming page and line;
- every result goes into a verification report (`doc_report`, or `--doc-report`):
  the site's badges and the coverage gate read it. Under pytest-xdist use
  `--dist loadfile`, which keeps each page on one worker, in order;
- `--shard I/N` tests every N-th page, for CI jobs; `python -m tests.page_runner merge`
  makes one report of theirs.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import gc
import io
import json
import os
import platform
import random
import signal
import time
import traceback
from pathlib import Path

import pytest
from packaging.version import Version
from pytest_markdown_docs.definitions import FenceTestDefinition
from pytest_markdown_docs.plugin import MarkdownInlinePythonItem

from tests.page_parser import Block, PageError, read_page

DEVICES = ("cpu", "cuda")
NO_CUDA = "no CUDA device here (torch.cuda.is_available() is False); run the GPU recipe in README.md"
RESULTS = pytest.StashKey[dict]()  # (page, block index, device) -> "passed" | "failed" | "skipped"
MACHINE = pytest.StashKey[dict]()  # under xdist: machine() as a worker saw it
torch = None  # the module, once load_torch() ran


def load_torch():
    """Import torch where blocks run. A pytest-xdist controller runs none, so it skips the
    1.5 s import, which on 2 cores would come out of the workers' time."""
    global torch
    if torch is None:
        import torch as module

        torch = module
        # torch leaves ~1M long-lived objects; freezing them keeps every later garbage
        # collection (pytest runs two full ones at exit) from walking them again: -0.2 s a run.
        gc.freeze()
    return torch


@functools.cache
def has_cuda() -> bool:
    return load_torch().cuda.is_available()


def pytest_addoption(parser):
    parser.addini("doc_block_timeout", "seconds one code block of a page may run", default="60")
    parser.addoption(
        "--update-output",
        action="store_true",
        help="write what each block produced (CPU) into its ```output block on the page; review the diff",
    )
    parser.addini("mkdocs_config", "the site's mkdocs.yml, relative to rootdir", default="mkdocs.yml")
    parser.addoption(
        "--doc-report",
        default=None,
        help="where to write the verification report (default: doc_report in pyproject.toml)",
    )
    parser.addini("doc_report", "verification report this run writes, relative to rootdir", default="")
    parser.addoption(
        "--shard",
        default=None,
        metavar="I/N",
        help="test only shard I of N (0-based): every N-th page of docs/, one CI job each; "
        "merge their reports with `python -m tests.page_runner merge`",
    )


UPDATES = pytest.StashKey[list]()  # (page path, Output, produced text) for --update-output
ENTRIES = pytest.StashKey[dict]()  # (page, index, device) -> verification report entry


def pytest_configure(config):
    config.stash[RESULTS] = {}
    config.stash[UPDATES] = []
    config.stash[ENTRIES] = {}
    global _config
    _config = config
    config.addinivalue_line("markers", "after_doc_tests: run after every doc block (the coverage gate)")
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: one core each, no oversubscription
        load_torch().set_num_threads(1)
    elif not config.getoption("numprocesses", None):  # not an xdist controller: blocks run here
        load_torch()
    elif config.getoption("update_output"):
        raise pytest.UsageError("--update-output rewrites pages from one process: run it without -n")
    if config.getoption("shard"):
        config.stash[SHARD] = shard_of(config)


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("after_doc_tests") is not None)  # stable sort


def site_paths(config) -> tuple[Path, Path]:
    """(mkdocs.yml, docs_dir) of the site under test."""
    return _site_paths(config.rootpath / config.getini("mkdocs_config"))


@functools.cache  # asked once per collected file
def _site_paths(config_file: Path) -> tuple[Path, Path]:
    return config_file, config_file.parent / yaml_docs_dir(config_file)


def yaml_docs_dir(config_file: Path) -> str:
    for line in config_file.read_text("utf-8").splitlines():
        if line.startswith("docs_dir:"):
            return line.split(":", 1)[1].strip()
    return "docs"


def pytest_collect_file(file_path: Path, parent):
    config_file, docs_dir = site_paths(parent.config)
    in_shard = SHARD not in parent.config.stash or file_path in parent.config.stash[SHARD]
    if file_path.suffix == ".md" and docs_dir in file_path.parents and in_shard:
        return DocPage.from_parent(parent, path=file_path)
    return None


SHARD = pytest.StashKey[set]()  # --shard I/N: the pages of this shard


def shard_of(config) -> set[Path]:
    """Pages by sorted path, round-robin, so N jobs test each page once."""
    option = config.getoption("shard")
    i, _, n = option.partition("/")
    if not (i.isdigit() and n.isdigit() and int(i) < int(n)):
        raise pytest.UsageError(f"--shard {option}: write I/N with 0 <= I < N, e.g. --shard 0/4")
    _, docs_dir = site_paths(config)
    pages = sorted(docs_dir.rglob("*.md"), key=lambda p: p.relative_to(docs_dir).as_posix())
    return set(pages[int(i) :: int(n)])


def reset_torch(device: str) -> None:
    """The state every page starts from, whatever the previous page did."""
    torch.set_default_device(None if device == "cpu" else device)
    torch.set_default_dtype(torch.float32)
    torch.set_grad_enabled(True)
    torch.set_printoptions(profile="default")
    if torch.are_deterministic_algorithms_enabled() or torch.is_deterministic_algorithms_warn_only_enabled():
        # Only when a page turned it on: the call imports torch._inductor (1.6 s on 2 cores).
        torch.use_deterministic_algorithms(False)
    if device == "cpu":
        # torch.manual_seed also queues a CUDA seed with a captured stack: 1.5 ms per page.
        torch.random.default_generator.manual_seed(0)
    else:
        torch.manual_seed(0)
    random.seed(0)


class PageRun:
    """One page on one device: the shared namespace, and how far it got."""

    def __init__(self):
        self.namespace: dict = {"__name__": "__main__"}
        self.done = 0  # blocks run so far
        self.started = False  # torch state reset for this run
        self.failed: str | None = None


class DocPage(pytest.File):
    def collect(self):
        config_file, _ = site_paths(self.config)
        try:
            page = read_page(self.path, self.config.rootpath, config_file)
        except PageError as e:
            # A failing test, not a collection error: pytest would stop the whole run.
            yield BrokenPage.from_parent(self, name="[page]", error=str(e))
            return
        self.runs = {device: PageRun() for device in DEVICES}
        needs = page.meta.get("torch_min")
        too_old = needs and Version(torch.__version__.split("+")[0]) < Version(str(needs))
        for device in DEVICES:
            for block in page.blocks:
                item = DocBlock.from_parent(
                    self,
                    name=f"[CodeFence#{block.index}][line:{block.line}][{device}]",
                    test_definition=FenceTestDefinition(
                        # Leading newlines make tracebacks count lines as the page does.
                        source="\n" * block.line + block.source,
                        fixture_names=(),
                        start_line=block.line,
                        source_path=self.path,
                        runner_name=None,
                    ),
                    block=block,
                    device=device,
                )
                if too_old:
                    item.add_marker(
                        pytest.mark.skip(reason=f"the page needs torch >= {needs}; this is {torch.__version__}")
                    )
                yield item


class BrokenPage(pytest.Item):
    """A page the parser rejects (bad front matter, missing include, ...): one failure."""

    def __init__(self, *, error: str, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self):
        raise PageError(self.error)

    def repr_failure(self, excinfo, style=None):
        return self.error

    def reportinfo(self):
        return self.path, 0, self.name


class BlockTimeout(BaseException):
    """BaseException, so `except Exception` in a page cannot swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float, where: str):
    def on_alarm(signum, frame):
        raise BlockTimeout(f"{where}: block still running after {seconds:g} s (doc_block_timeout in pyproject.toml)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def shown_text(stdout: str, exc: BaseException | None) -> str:
    """What a reader's terminal shows, in the form pages write it (doctest style)."""
    text = stdout
    if exc is not None:
        text += "Traceback (most recent call last):\n  ...\n" + "".join(traceback.format_exception_only(exc))
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


class DocBlock(MarkdownInlinePythonItem):
    def __init__(self, *, block: Block, device: str, **kwargs):
        super().__init__(**kwargs)
        self.block, self.device = block, device
        if device == "cuda" and not has_cuda():
            self.add_marker(pytest.mark.skip(reason=NO_CUDA))

    @property
    def where(self) -> str:
        return f"{self.block.where} [{self.device}]"

    def runtest(self):
        run: PageRun = self.parent.runs[self.device]
        if run.failed:
            pytest.skip(f"an earlier block of this page failed: {run.failed}")
        if run.done != self.block.index - 1:
            pytest.skip(f"the blocks before it did not run: select the whole page (pytest {self.block.page})")
        if self.block.notest is not None:
            run.done += 1
            pytest.skip(f"not run (data-notest): {self.block.notest}")
        if not run.started:  # the first block that runs, even when a data-notest block came first
            reset_torch(self.device)
            run.started = True
        run.failed = self.where  # until it passes
        stdout, exc = io.StringIO(), None
        timeout = float(self.config.getini("doc_block_timeout"))
        with contextlib.redirect_stdout(stdout):
            try:
                with time_limit(timeout, self.block.where):
                    self.runner.runtest(self.test_definition, run.namespace)
            except BlockTimeout as e:
                pytest.fail(str(e), pytrace=False)
            except Exception as e:
                exc = e
        run.done += 1
        if exc is None or self.block.output is not None:
            run.failed = None  # the page's state is as the page expects: go on
        self.check_output(stdout.getvalue(), exc)

    def check_output(self, stdout: str, exc: BaseException | None):
        shown = self.block.output
        if shown is None:
            if exc is not None:
                raise exc  # an unexpected error: reported with page line numbers
            return
        expected = shown_text(shown.text, None)
        if self.device != "cpu":
            # Printed tensors name their device; on a GPU only the error itself must match.
            raised = f"{type(exc).__name__}:" if exc else None
            wanted = expected.splitlines()[-1] if "Traceback (most recent call last):" in expected else None
            if (raised is None) != (wanted is None) or (raised and not wanted.startswith(raised)):
                pytest.fail(
                    f"{self.block.page}:{shown.line}: on {self.device} the block raised {raised or 'nothing'}, "
                    f"the page shows {wanted or 'no error'}",
                    pytrace=False,
                )
            return
        actual = shown_text(stdout, exc)
        if exc is not None and "Traceback (most recent call last):" not in expected:
            raise exc  # the page does not show an error here, so none may be written in either
        if actual != expected and self.config.getoption("update_output"):
            self.config.stash[UPDATES].append((self.path, shown, actual))
            return
        if actual != expected:
            diff = "\n".join(
                difflib.unified_diff(
                    expected.splitlines(),
                    actual.splitlines(),
                    "shown on the page",
                    "produced by the block",
                    lineterm="",
                )
            )
            pytest.fail(
                f"{self.block.page}:{shown.line}: the output shown differs from what the block at line "
                f"{self.block.line} produced:\n{diff}",
                pytrace=False,
            )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, pytest.fail.Exception):
            return str(excinfo.value)
        note = " (the block includes snippets: line numbers count the expanded code)" if self.block.includes else ""
        return f"{self.where}: the code block raised an error{note}\n" + super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.block.line - 1, self.name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if isinstance(item, DocBlock) and (call.when == "call" or report.skipped):
        entry = {
            "page": str(item.block.page),
            "line": item.block.line,
            "index": item.block.index,
            "sha256": item.block.sha,
            "device": item.device,
            "outcome": report.outcome,
            "duration_s": round(call.duration, 4),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        # user_properties travel with the report, also from xdist workers to the controller.
        report.user_properties.append(("doc_entry", entry))
        if report.skipped and isinstance(report.longrepr, tuple):  # point the -rs line at the page
            report.longrepr = (str(item.block.page), item.block.line, report.longrepr[2])
    return report


_config = None  # set in pytest_configure: pytest_runtest_logreport gets no config


def entry_key(entry: dict) -> tuple[str, int, str]:
    """A report entry is one block of one page on one device."""
    return entry["page"], entry["index"], entry["device"]


def pytest_runtest_logreport(report):
    """Collect results where every report arrives: the only process, or the xdist controller."""
    if _config is None or hasattr(_config, "workerinput"):
        return
    for name, entry in report.user_properties:
        if name == "doc_entry":
            _config.stash[RESULTS][entry_key(entry)] = entry["outcome"]
            _config.stash[ENTRIES][entry_key(entry)] = entry


def pytest_runtest_teardown(item, nextitem):
    if isinstance(item, DocBlock) and (nextitem is None or getattr(nextitem, "parent", None) is not item.parent):
        reset_torch("cpu")  # leave the rest of the session as it was


def pytest_terminal_summary(terminalreporter, config):
    results = config.stash[RESULTS]
    if not results:
        return
    tr = terminalreporter
    tr.section("doc blocks")
    for device in DEVICES:
        outcomes = [o for (_, _, d), o in results.items() if d == device]
        counts = ", ".join(f"{outcomes.count(o)} {o}" for o in ("passed", "failed", "skipped") if o in outcomes)
        tr.write_line(f"{device}: {len(outcomes)} blocks: {counts}")
    excluded = [item for item in tr.stats.get("skipped", []) if "not run (data-notest)" in str(item.longrepr)]
    tr.write_line(f"excluded from the doc tests (data-notest): {len(excluded)}")
    for report in excluded:
        path, line, reason = report.longrepr
        tr.write_line(f"  {path}:{line} {reason.removeprefix('Skipped: ')}")


def pytest_sessionfinish(session):
    """Write the verification report; --update-output: rewrite the ```output blocks,
    bottom-up so line numbers stay valid."""
    if hasattr(session.config, "workerinput"):  # tell the controller where the blocks ran
        session.config.workeroutput["doc_machine"] = machine()
    write_report(session.config)
    updates = sorted(session.config.stash[UPDATES], key=lambda u: (u[0], -u[1].line))
    for path, shown, text in updates:
        lines = path.read_text("utf-8").splitlines(keepends=True)
        fence = lines[shown.line - 1]
        indent = fence[: len(fence) - len(fence.lstrip())]
        lines[shown.line : shown.end - 1] = [f"{indent}{line}".rstrip() + "\n" for line in text.splitlines()]
        path.write_text("".join(lines), "utf-8")
        session.config.get_terminal_writer().line(f"updated {path}:{shown.line}")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: a worker went down, with machine() from its side."""
    if "doc_machine" in getattr(node, "workeroutput", {}):
        node.config.stash[MACHINE] = node.workeroutput["doc_machine"]


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo ("?" where there is none)."""
    with contextlib.suppress(OSError):
        with open("/proc/cpuinfo") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    return "?"


def machine() -> dict[str, str]:
    """What the report says about where it was made."""
    torch = load_torch()
    devices = {"cpu": f"{cpu_model()}, {os.cpu_count()} cores"}
    if has_cuda():
        devices["cuda"] = torch.cuda.get_device_name()
    return {
        "host": platform.node(),
        "torch": str(torch.__version__),  # TorchVersion cannot cross to an xdist controller
        "python": platform.python_version(),
        "devices": devices,
    }


def report_path(config) -> Path | None:
    path = config.getoption("doc_report") or config.getini("doc_report")
    return (config.rootpath / path) if path else None


def write_report(config) -> None:
    """The verification report (see hooks/verification.py): one entry per block and device.
    Written when the session ends, and by the `site` fixture before it builds the site.
    Entries this run did not touch are kept from the previous report at the same path,
    so testing one page does not forget the others."""
    path = report_path(config)
    if path is None or not config.stash[ENTRIES] or hasattr(config, "workerinput"):
        return
    entries = {}
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        old = json.loads(path.read_text("utf-8"))
        entries = {entry_key(e): e for e in old["blocks"]}
    entries.update(config.stash[ENTRIES])
    save_report(path, config.stash.get(MACHINE, None) or machine(), entries.values())


def save_report(path: Path, where: dict, blocks) -> None:
    report = {
        "format": 1,
        "made_by": "pytest (tests/page_runner.py); do not edit by hand",
        "machine": where,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "blocks": sorted(blocks, key=entry_key),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    tmp.replace(path)  # never a half-written report


def merge_reports(out: Path, sources: list[Path]) -> None:
    """One report from those of CI shards (--shard): the newest entry per block and device.
    The shards must have run on one kind of machine, since a badge names the machine,
    torch and Python of the report behind it."""
    if not sources:
        raise SystemExit("merge: no reports given")
    reports, kinds = [], []
    for source in sources:
        try:
            reports.append(json.loads(source.read_text("utf-8")))
            kinds.append({k: reports[-1]["machine"][k] for k in ("torch", "python", "devices")})
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise SystemExit(f"merge: {source}: not a doc-test report ({e})") from None
        if kinds[-1] != kinds[0]:
            raise SystemExit(f"merge: {source} ran on {kinds[-1]}, {sources[0]} on {kinds[0]}: not one kind of machine")
    blocks = {}
    for entry in (e for report in reports for e in report["blocks"]):
        if entry_key(entry) not in blocks or entry["date"] > blocks[entry_key(entry)]["date"]:
            blocks[entry_key(entry)] = entry
    save_report(out, reports[0]["machine"], blocks.values())


def read_report(path: Path) -> dict[tuple[str, str, str], str]:
    """(page, sha256, device) -> outcome, from a report written by write_report."""
    data = json.loads(path.read_text("utf-8"))
    return {(e["page"], e["sha256"], e["device"]): e["outcome"] for e in data["blocks"]}


if __name__ == "__main__":  # python -m tests.page_runner merge OUT SHARD_REPORT...
    import argparse

    cli = argparse.ArgumentParser(prog="python -m tests.page_runner")
    commands = cli.add_subparsers(dest="command", required=True)
    merge = commands.add_parser("merge", help="merge the reports of CI shards (--shard) into one")
    merge.add_argument("out", type=Path)
    merge.add_argument("sources", type=Path, nargs="+")
    args = cli.parse_args()
    merge_reports(args.out, args.sources)
    print(f"{args.out}: {len(args.sources)} reports merged")
