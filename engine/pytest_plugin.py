"""pytest plugin: every Python block of every page under `docs/` becomes a test.

Loaded by `-p engine.pytest_plugin` (pyproject.toml). This process is the judge: it
never runs page code and never imports torch. Per page and device it gets a fresh page
process from a warm zygote (engine/sandbox.py, engine/worker.py), sends it the page's
blocks in order, and decides pass or fail from what comes back:

- each block runs on CPU and again on CUDA, as `page.md::[CodeFence#3][line:40][cpu]`;
  CUDA items are skipped, with the reason, when there is no GPU;
- a page runs like a notebook (one namespace per page and device, page order) in its own
  process, so nothing a page does reaches another page or the judge; after a failure the
  rest of that page is skipped, naming the failed block;
- an ```output block after a Python block is compared with what the block printed and
  raised, on CPU, exactly on the pinned torch (requirements.txt); on another torch
  (`--torch-python`, the version matrix: make test-torch) a block that raises the error the
  page shows, or none where it shows none, but prints other text is `output-differs` (an
  xfail, recorded as such in the report: not a pass, not a failure);
- a block that runs past `doc_block_timeout` seconds is killed with its whole process
  group; a page process that ends early or answers nonsense fails that block;
- every result goes into the verification report (engine/report.py). Under
  pytest-xdist `--dist loadfile` is required (a page stays on one worker, in order);
- `--shard I/N` tests every N-th page, for CI jobs; `python -m engine merge` makes one
  report of theirs.
"""

from __future__ import annotations

import difflib
import os
import platform
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from packaging.version import Version

from engine import config as site_config
from engine import fonts
from engine.config import pinned_torch
from engine.page import Block, Output, PageError
from engine.parser import read_page, torch_applies
from engine.report import OUTCOMES, Entry, Report, Run
from engine.sandbox import (
    DEFAULT_PRELOAD,
    BlockTimeout,
    Policy,
    ProcessEnded,
    SandboxError,
    StartFailed,
    Zygote,
    protect_judge,
)
from engine.scheduler import PageJob, Scheduler

DEVICES = ("cpu", "cuda")
OUTPUT_DIFFERS = "output-differs"  # an outcome of its own in the report (engine/report.py)
NOT_APPLICABLE = "not-applicable"  # data-torch excludes this torch: not run, by declaration
NO_CUDA = "no CUDA device here (torch.cuda.is_available() is False); run the GPU recipe in README.md"
MAX_DIFF_LINES = 200
RESULTS = pytest.StashKey[dict]()  # (page, block index, device) -> outcome
ENTRIES = pytest.StashKey[dict]()  # (page, index, device) -> entry dict
UPDATES = pytest.StashKey[list]()  # (page path, Output, produced text) for --update-output
MACHINE = pytest.StashKey[dict]()  # under xdist: what a worker's zygote said
ISOLATION = pytest.StashKey[dict]()  # device -> isolation the page processes had
SHARD = pytest.StashKey[set]()  # --shard I/N: the pages of this shard
STARTED = pytest.StashKey[str]()
SCHEDULER = pytest.StashKey[Scheduler]()

_zygote: Zygote | None = None
_config = None  # set in pytest_configure: pytest_runtest_logreport gets no config


TORCH_PYTHON_ENV = "DOC_TORCH_PYTHON"


def zygote() -> Zygote:
    """This process's page-process starter, started on first use."""
    global _zygote
    if _zygote is None:
        root = _config.rootpath if _config is not None else Path.cwd()
        preload = tuple(_config.getini("doc_preload").split()) if _config is not None else DEFAULT_PRELOAD
        python = torch_python(_config) if _config is not None else None
        _zygote = Zygote(root, preload=preload, **({"python": python} if python else {}))
    return _zygote


def torch_python(config) -> str | None:
    """--torch-python (or $DOC_TORCH_PYTHON): the interpreter the page processes run under,
    with its own torch; None: the judge's own. Not resolved through symlinks: a venv's
    bin/python is one, and the venv is found from its path."""
    path = config.getoption("torch_python", None) or os.environ.get(TORCH_PYTHON_ENV) or None
    if path is None:
        return None
    path = os.path.abspath(os.path.expanduser(path))
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise pytest.UsageError(f"--torch-python {path}: not an executable file (a venv's bin/python)")
    return path


def exact_outputs(config) -> bool:
    """Outputs are compared exactly on the pinned torch (or where none is pinned)."""
    pinned = pinned_torch(config.rootpath)
    if pinned is None:
        return True
    return Version(zygote().hello()["torch"]).release == Version(pinned).release


def has_cuda() -> bool:
    return bool(zygote().hello()["cuda"])


def page_fonts(item) -> tuple[str, ...]:
    """The figures' CJK font for a page that draws with matplotlib (engine/fonts.py)."""
    font = item.config.rootpath / fonts.FONT
    sources = [b.source for b in item.parent.page.blocks if b.notest is None]
    return (str(font),) if font.exists() and fonts.uses_matplotlib(sources) else ()


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def jobs(config) -> int:
    """How many pages run at once (doc_jobs): one per core by default; 1 under xdist, whose
    workers are the parallelism, and with --update-output or -x (a run that may stop early)."""
    value = config.getini("doc_jobs").strip()
    if hasattr(config, "workerinput") or config.getoption("update_output") or config.getoption("exitfirst", False):
        return 1
    if value == "auto":
        return cores()
    if not value.isdigit() or int(value) < 1:
        raise pytest.UsageError(f"doc_jobs = {value!r}: write a number of pages to run at once, or auto")
    return int(value)


def policy(config) -> Policy:
    threads = 1 if hasattr(config, "workerinput") else None  # xdist: one core per worker
    if threads is None and jobs(config) > 1:
        threads = max(1, cores() // jobs(config))  # pages side by side share the cores
    return Policy(
        memory_limit_cpu=site_config.parse_size(config.getini("doc_memory_limit_cpu")),
        memory_limit_cuda=site_config.parse_size(config.getini("doc_memory_limit_cuda")),
        strict=config.getini("doc_isolation") != "off",
        threads=threads,
    )


def pytest_addoption(parser):
    parser.addini("doc_block_timeout", "seconds one code block of a page may run", default="60")
    parser.addini("doc_memory_limit_cpu", "address-space cap of a CPU page process (16G; none)", default="16G")
    parser.addini("doc_memory_limit_cuda", "address-space cap of a CUDA page process", default="none")
    parser.addini("doc_isolation", "strict: no network, read-only repo, unprivileged (as root); off", default="strict")
    parser.addini("doc_jobs", "pages run at once, each in its own process (auto: one per core)", default="auto")
    parser.addini(
        "doc_preload",
        "modules the page-process starter imports once, so pages do not each pay for them",
        default=" ".join(DEFAULT_PRELOAD),
    )
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
        "--torch-python",
        default=None,
        metavar="PATH",
        help="run the page processes under this Python (e.g. .venvs/torch-1.12.0/bin/python) and its torch, "
        f"while pytest stays here; also ${TORCH_PYTHON_ENV}. Outputs are compared exactly only on the pinned "
        "torch (requirements.txt); elsewhere a differing output is `output-differs`",
    )
    parser.addoption(
        "--run-below-torch-min",
        action="store_true",
        help="run pages on a torch older than their front matter's torch_min instead of skipping them "
        "(the version matrix checks torch_min against what happens)",
    )
    parser.addoption(
        "--shard",
        default=None,
        metavar="I/N",
        help="test only shard I of N (0-based): every N-th page of docs/, one CI job each; "
        "merge their reports with `python -m engine merge`",
    )


def pytest_configure(config):
    global _config
    _config = config
    config.stash[RESULTS] = {}
    config.stash[UPDATES] = []
    config.stash[ENTRIES] = {}
    config.stash[ISOLATION] = {}
    config.stash[STARTED] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    config.addinivalue_line("markers", "after_doc_tests: run after every doc block (the coverage gate)")
    protect_judge()
    workers = config.getoption("numprocesses", None)
    if workers and not hasattr(config, "workerinput"):  # the xdist controller: runs no block
        if config.getoption("update_output"):
            raise pytest.UsageError("--update-output rewrites pages from one process: run it without -n")
        if config.getoption("dist", "no") != "loadfile":
            raise pytest.UsageError(
                "-n needs --dist loadfile: a page's blocks share one process and must run on one worker, in order"
            )
    elif not config.getoption("collectonly"):
        zygote()  # import torch there now, while pytest collects here
    if config.getoption("shard"):
        config.stash[SHARD] = shard_of(config)


def pytest_unconfigure(config):
    global _zygote
    if SCHEDULER in config.stash:
        config.stash[SCHEDULER].close()
    if _zygote is not None:
        _zygote.close()
        _zygote = None


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("after_doc_tests") is not None)  # stable sort


def block_runs_here(block: Block) -> bool:
    """Whether the tests run this block on this torch (not data-notest, data-torch applies)."""
    spec = block.options.get("data-torch")
    return block.notest is None and (spec is None or torch_applies(spec, zygote().hello()["torch"]))


def pytest_collection_finish(session):
    """Pages whose every block on a device is selected run ahead, doc_jobs at a time
    (engine/scheduler.py); a partial selection runs block by block, in its tests."""
    config = session.config
    if config.getoption("collectonly") or jobs(config) < 2 or not session.items:
        return
    groups: dict[tuple, list[DocBlock]] = {}
    for item in session.items:
        if isinstance(item, DocBlock):
            groups.setdefault((item.parent, item.device), []).append(item)
    scheduler = None
    timeout = float(config.getini("doc_block_timeout"))
    for (parent, device), items in groups.items():
        if [i.block.index for i in items] != [b.index for b in parent.page.blocks]:
            continue
        if scheduler is None:
            scheduler = config.stash[SCHEDULER] = Scheduler(jobs(config), timeout)
        first = items[0]
        scheduler.submit(
            PageJob(
                page=str(first.block.page),
                device=device,
                blocks=parent.page.blocks,
                start=lambda first=first: zygote().start_page(first.device, policy(config), timeout, page_fonts(first)),
                applies=lambda first=first: first.runs_here() is None,
                runs=block_runs_here,
            )
        )


def site_paths(config) -> tuple[Path, Path]:
    """(mkdocs.yml, docs_dir) of the site under test."""
    config_file = config.rootpath / config.getini("mkdocs_config")
    return config_file, site_config.docs_dir(config_file)


def pytest_collect_file(file_path: Path, parent):
    config_file, docs_dir = site_paths(parent.config)
    in_shard = SHARD not in parent.config.stash or file_path in parent.config.stash[SHARD]
    if file_path.suffix == ".md" and docs_dir in file_path.parents and in_shard:
        return DocPage.from_parent(parent, path=file_path)
    return None


def shard_of(config) -> set[Path]:
    """Pages by sorted path, round-robin, so N jobs test each page once."""
    option = config.getoption("shard")
    i, _, n = option.partition("/")
    if not (i.isdigit() and n.isdigit() and int(i) < int(n)):
        raise pytest.UsageError(f"--shard {option}: write I/N with 0 <= I < N, e.g. --shard 0/4")
    _, docs_dir = site_paths(config)
    pages = sorted(docs_dir.rglob("*.md"), key=lambda p: p.relative_to(docs_dir).as_posix())
    return set(pages[int(i) :: int(n)])


class PageRun:
    """One page on one device: its process, and how far it got."""

    def __init__(self):
        self.process = None  # engine.sandbox.PageProcess, from the first block that runs
        self.done = 0  # blocks run so far
        self.failed: str | None = None

    def close(self):
        if self.process is not None:
            self.process.close()
            self.process = None


class DocPage(pytest.File):
    def collect(self):
        config_file, _ = site_paths(self.config)
        try:
            page = read_page(self.path, self.config.rootpath, config_file)
        except PageError as e:
            # A failing test, not a collection error: pytest would stop the whole run.
            yield BrokenPage.from_parent(self, name="[page]", error=str(e))
            return
        self.page = page
        self.runs = {device: PageRun() for device in DEVICES}
        for device in DEVICES:
            for block in page.blocks:
                yield DocBlock.from_parent(
                    self, name=f"[CodeFence#{block.index}][line:{block.line}][{device}]", block=block, device=device
                )


class BrokenPage(pytest.Item):
    """A page the parser rejects (bad front matter, missing include, not UTF-8, ...): one failure."""

    def __init__(self, *, error: str, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self):
        raise PageError(self.error)

    def repr_failure(self, excinfo, style=None):
        return self.error

    def reportinfo(self):
        return self.path, 0, self.name


class BlockFailed(Exception):
    """The block raised where the page shows no error; carries the page-process traceback."""


def shown_text(stdout: str, error: dict | None) -> str:
    """What a reader's terminal shows, in the form pages write it (doctest style)."""
    text = stdout
    if error is not None:
        text += "Traceback (most recent call last):\n  ...\n" + error["message"]
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def truncated_diff(expected: str, actual: str) -> str:
    lines = list(
        difflib.unified_diff(
            expected.splitlines(), actual.splitlines(), "shown on the page", "produced by the block", lineterm=""
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"[... {len(lines) - MAX_DIFF_LINES} more lines of diff not shown]"]
    return "\n".join(lines)


class DocBlock(pytest.Item):
    def __init__(self, *, block: Block, device: str, **kwargs):
        super().__init__(**kwargs)
        self.block, self.device = block, device

    @property
    def where(self) -> str:
        return f"{self.block.where} [{self.device}]"

    def below_torch_min(self) -> str | None:
        needs = self.parent.page.meta.get("torch_min")
        have = zygote().hello()["torch"]
        below = needs and Version(have.split("+")[0]) < Version(str(needs))
        if below and not self.config.getoption("run_below_torch_min"):
            return f"the page needs torch >= {needs}; this is {have}"
        return None

    def runs_here(self) -> str | None:
        """Why no block of this page runs on this device here (None: they run)."""
        if self.device == "cuda" and not has_cuda():
            return NO_CUDA
        return self.below_torch_min()

    def answer(self, run: PageRun, timeout: float) -> dict:
        """The block's answer from its page process: run ahead by the scheduler, or here."""
        scheduler = self.config.stash.get(SCHEDULER, None)
        ahead = scheduler.result(str(self.block.page), self.device) if scheduler is not None else None
        if ahead is not None:
            if ahead.start_error is not None:
                raise ahead.start_error
            self.config.stash[ISOLATION].setdefault(self.device, ahead.isolation)
            answer = ahead.answers.get(self.block.index)
            if answer is None:  # cannot happen: the scheduler stops exactly where the tests skip
                pytest.fail(f"{self.where}: the page's run ahead stopped before this block", pytrace=False)
            if isinstance(answer, SandboxError):
                raise answer
            return answer
        if run.process is None:  # the first block that runs, even when a data-notest block came first
            run.process = zygote().start_page(self.device, policy(self.config), timeout, page_fonts(self))
            self.config.stash[ISOLATION].setdefault(self.device, run.process.isolation)
        return run.process.run_block(self.block.source, str(self.block.page), self.block.line, timeout)

    def runtest(self):
        if self.device == "cuda" and not has_cuda():  # asked here: collection need not wait for torch
            pytest.skip(NO_CUDA)
        run: PageRun = self.parent.runs[self.device]
        if run.failed:
            pytest.skip(f"an earlier block of this page failed: {run.failed}")
        if run.done != self.block.index - 1:
            pytest.skip(f"the blocks before it did not run: select the whole page (pytest {self.block.page})")
        if self.block.notest is not None:
            run.done += 1
            pytest.skip(f"not run (data-notest): {self.block.notest}")
        below = self.below_torch_min()
        if below:
            run.done += 1
            pytest.skip(below)
        if not block_runs_here(self.block):  # data-torch excludes this torch (data-notest skipped above)
            run.done += 1
            self.not_applicable = True
            have = zygote().hello()["torch"]
            applies = self.block.options["data-torch"]
            pytest.skip(f"{NOT_APPLICABLE}: the block applies to torch {applies} (data-torch); this is {have}")
        timeout = float(self.config.getini("doc_block_timeout"))
        run.failed = self.where  # until it passes
        try:
            reply = self.answer(run, timeout)
        except BlockTimeout:
            pytest.fail(
                f"{self.block.where}: block still running after {timeout:g} s (doc_block_timeout in pyproject.toml); "
                "its process group was killed",
                pytrace=False,
            )
        except ProcessEnded as e:
            pytest.fail(
                f"{self.where}: the page's process ended during this block ({e}): a page must not end its own "
                "process (os._exit, os.kill, a crash); nothing after it ran",
                pytrace=False,
            )
        except StartFailed as e:
            pytest.fail(f"{self.where}: {e}", pytrace=False)
        except SandboxError as e:
            pytest.fail(f"{self.where}: the page's process answered nonsense ({e}); it was killed", pytrace=False)
        self.ran_s = reply["duration_s"]  # the block's own time, whether it ran ahead or here
        run.done += 1
        error = reply["error"]
        if error is None or self.block.output is not None:
            run.failed = None  # the page's state is as the page expects: go on
        self.check_output(reply["stdout"], error)

    def check_output(self, stdout: str, error: dict | None):
        shown = self.block.output
        if shown is None:
            if error is not None:
                raise BlockFailed(error["traceback"])  # an unexpected error: reported with page line numbers
            return
        expected = shown_text(shown.text, None)
        if self.device != "cpu":
            # Printed tensors name their device; on a GPU only the error itself must match.
            raised = f"{error['type']}:" if error else None
            wanted = expected.splitlines()[-1] if "Traceback (most recent call last):" in expected else None
            if (raised is None) != (wanted is None) or (raised and not wanted.startswith(raised)):
                pytest.fail(
                    f"{self.block.page}:{shown.line}: on {self.device} the block raised {raised or 'nothing'}, "
                    f"the page shows {wanted or 'no error'}",
                    pytrace=False,
                )
            return
        actual = shown_text(stdout, error)
        if error is not None and "Traceback (most recent call last):" not in expected:
            raise BlockFailed(error["traceback"])  # the page shows no error here, so none may be written in either
        if actual != expected and not self.exact():
            self.output_differs(expected, actual, error)
        if actual != expected and self.config.getoption("update_output"):
            self.config.stash[UPDATES].append((self.path, shown, actual))
            return
        if actual != expected:
            pytest.fail(
                f"{self.block.page}:{shown.line}: the output shown differs from what the block at line "
                f"{self.block.line} produced:\n{truncated_diff(expected, actual)}",
                pytrace=False,
            )

    def exact(self) -> bool:
        """Outputs are exact on the pinned torch; a block whose data-torch excludes the
        pinned torch shows another version's output: exact on the versions it applies to."""
        if exact_outputs(self.config):
            return True
        applies, pinned = self.block.options.get("data-torch"), pinned_torch(self.config.rootpath)
        return applies is not None and pinned is not None and not torch_applies(applies, pinned)

    def output_differs(self, expected: str, actual: str, error: dict | None):
        """Another torch than the pinned one: the same behaviour (the error the page shows,
        or none) with other text is `output-differs`; another behaviour is a failure."""
        have = zygote().hello()["torch"]
        wanted = expected.splitlines()[-1] if "Traceback (most recent call last):" in expected else None
        if wanted is not None and (error is None or not wanted.startswith(f"{error['type']}:")):
            pytest.fail(
                f"{self.block.page}:{self.block.output.line}: on torch {have} the block raised "
                f"{error['type'] if error else 'nothing'}, the page shows {wanted}",
                pytrace=False,
            )
        pytest.xfail(
            f"{OUTPUT_DIFFERS}: {self.block.page}:{self.block.output.line}: on torch {have} the output differs "
            f"from the page's (exact only on torch {pinned_torch(self.config.rootpath)}):\n"
            + truncated_diff(expected, actual)
        )

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, BlockFailed):
            note = " (the block includes snippets: line numbers count the expanded code)" if self.block.includes else ""
            return f"{self.where}: the code block raised an error{note}\n{excinfo.value}"
        if isinstance(excinfo.value, pytest.fail.Exception):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.block.line - 1, self.name


def _isolation_text(isolation: dict) -> str:
    keys = ("network", "repository", "user", "pids", "memory")
    return "; ".join(f"{k}: {isolation[k]}" for k in keys if k in isolation) or "?"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if isinstance(item, DocBlock) and (call.when == "call" or report.skipped):
        entry = {
            "page": str(item.block.page),
            "line": item.block.line,
            "index": item.block.index,
            "blocks": len(item.parent.page.blocks),
            "identity": item.block.identity,
            "device": item.device,
            "outcome": OUTPUT_DIFFERS
            if hasattr(report, "wasxfail")
            else NOT_APPLICABLE
            if report.skipped and getattr(item, "not_applicable", False)
            else report.outcome,
            "duration_s": round(getattr(item, "ran_s", call.duration), 4),
            "isolation": _isolation_text(item.config.stash[ISOLATION].get(item.device, {})),
        }
        # user_properties travel with the report, also from xdist workers to the controller.
        report.user_properties.append(("doc_entry", entry))
        if report.skipped and isinstance(report.longrepr, tuple):  # point the -rs line at the page
            report.longrepr = (str(item.block.page), item.block.line, report.longrepr[2])
    return report


def pytest_runtest_logreport(report):
    """Collect results where every report arrives: the only process, or the xdist controller."""
    if _config is None or hasattr(_config, "workerinput"):
        return
    for name, entry in report.user_properties:
        if name == "doc_entry":
            key = entry["page"], entry["index"], entry["device"]
            _config.stash[RESULTS][key] = entry["outcome"]
            _config.stash[ENTRIES][key] = entry


def pytest_runtest_teardown(item, nextitem):
    if not isinstance(item, DocBlock):
        return
    same = nextitem is not None and getattr(nextitem, "parent", None) is item.parent
    if not same or getattr(nextitem, "device", None) != item.device:
        item.parent.runs[item.device].close()


def machine() -> dict:
    """What the report says about where it was made (from this process's zygote)."""
    hello = zygote().hello()
    devices = {"cpu": hello["cpu"]}
    if hello["cuda"]:
        isolation = _config.stash[ISOLATION].get("cuda", {}) if _config else {}
        devices["cuda"] = isolation.get("device_name", "CUDA")
    return {"host": platform.node(), "torch": hello["torch"], "python": hello["python"], "devices": devices}


def pytest_terminal_summary(terminalreporter, config):
    results = config.stash[RESULTS]
    if not results:
        return
    tr = terminalreporter
    tr.section("doc blocks")
    for device in DEVICES:
        outcomes = [o for (_, _, d), o in results.items() if d == device]
        counts = ", ".join(f"{outcomes.count(o)} {o}" for o in OUTCOMES if o in outcomes)
        tr.write_line(f"{device}: {len(outcomes)} blocks: {counts}")
    isolation = {e["device"]: e["isolation"] for e in config.stash[ENTRIES].values() if e["isolation"] != "?"}
    for device, text in sorted(isolation.items()):
        tr.write_line(f"isolation ({device}): fresh process per page; {text}")
    excluded = [item for item in tr.stats.get("skipped", []) if "not run (data-notest)" in str(item.longrepr)]
    tr.write_line(f"excluded from the doc tests (data-notest): {len(excluded)}")
    for report in excluded:
        path, line, reason = report.longrepr
        tr.write_line(f"  {path}:{line} {reason.removeprefix('Skipped: ')}")


def pytest_sessionfinish(session):
    """Write the verification report; --update-output: rewrite the ```output blocks,
    bottom-up so line numbers stay valid."""
    if hasattr(session.config, "workerinput"):  # tell the controller where the blocks ran
        if _zygote is not None:
            session.config.workeroutput["doc_machine"] = machine()
    write_report(session.config)
    updates = sorted(session.config.stash[UPDATES], key=lambda u: (u[0], -u[1].line))
    for path, shown, text in updates:
        update_output(path, shown, text)
        session.config.get_terminal_writer().line(f"updated {path}:{shown.line}")


def update_output(path: Path, shown: Output, text: str) -> None:
    """Replace the body of an ```output fence; a longer fence when the text has a ``` line."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    opening = lines[shown.line - 1]
    indent = opening[: len(opening) - len(opening.lstrip())]
    longest = max((len(s.strip()) - len(s.strip().lstrip("`")) for s in text.splitlines()), default=0)
    fence = "`" * max(len(shown.fence), longest + 1)
    body = [f"{indent}{line}".rstrip() + "\n" for line in text.splitlines()]
    closing = lines[shown.end - 1] if shown.end - 1 < len(lines) else ""
    if fence != shown.fence:
        opening = opening.replace(shown.fence, fence, 1)
        closing = f"{indent}{fence}\n"
    lines[shown.line - 1 : shown.end] = [opening, *body, closing]
    path.write_text("".join(lines), "utf-8")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: a worker went down, with machine() from its side."""
    if "doc_machine" in getattr(node, "workeroutput", {}):
        node.config.stash[MACHINE] = node.workeroutput["doc_machine"]


def report_path(config) -> Path | None:
    path = config.getoption("doc_report") or config.getini("doc_report")
    return (config.rootpath / path) if path else None


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def worktree_dirty(root: Path) -> bool:
    """Uncommitted changes to tracked files, the verification reports left out: they are
    what a run writes (make test-torch deletes and rewrites its own), not what it ran."""
    status = _git(root, "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)verification")
    return status is None or bool(status)


def provenance(config, where: dict) -> Run:
    root = config.rootpath
    commit = _git(root, "rev-parse", "HEAD")
    dirty = worktree_dirty(root) if commit else True
    command = shlex.join(["python", "-m", "pytest", *config.invocation_params.args])
    isolation = {}
    for e in config.stash[ENTRIES].values():
        if e["isolation"] != "?":
            isolation[e["device"]] = "fresh process per page; " + e["isolation"]
    return Run(
        run_id=config.stash.setdefault(RUN_ID, uuid.uuid4().hex[:12]),
        command=command,
        commit=commit or "not a git checkout",
        dirty=dirty,
        host=where["host"],
        torch=where["torch"],
        python=where["python"],
        devices=where["devices"],
        isolation=isolation,
        started=config.stash[STARTED],
    )


RUN_ID = pytest.StashKey[str]()


def write_report(config) -> None:
    """The verification report: this run's entries, merged into the file (engine/report.py).
    Written when the session ends, and by the `site` fixture before it builds the site."""
    path = report_path(config)
    if path is None or not config.stash[ENTRIES] or hasattr(config, "workerinput"):
        return
    where = config.stash.get(MACHINE, None) or machine()
    run = provenance(config, where)
    entries = [Entry(run_id=run.run_id, torch=run.torch, machine=run.host, **e) for e in config.stash[ENTRIES].values()]
    Report({run.run_id: run}, entries).save(path)
