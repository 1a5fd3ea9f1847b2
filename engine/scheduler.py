"""Whole pages run ahead of pytest, `jobs` at a time.

Each page runs in its own fresh process, so pages cannot affect each other and may run
side by side: while pytest checks and reports page 1, page 2 is already running on the
other core. A test then only waits for its block's answer and checks it, in the judge, as
before. The per-block timeout, the kill of a page's process group and every failure mode
are those of a page run one block per test (engine/sandbox.py): only *when* a block runs
changes, never what counts as passing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from engine.page import Block
from engine.sandbox import PageProcess, SandboxError


@dataclass
class PageJob:
    page: str
    device: str
    blocks: list[Block]
    start: Callable[[], PageProcess]  # a fresh confined process for this page and device
    applies: Callable[[], bool] = lambda: True  # e.g. False on a machine without CUDA: the test skips
    runs: Callable[[Block], bool] = lambda block: block.notest is None  # blocks the tests skip do not run


@dataclass
class PageResult:
    isolation: dict = field(default_factory=dict)
    start_error: SandboxError | None = None
    answers: dict[int, dict | SandboxError] = field(default_factory=dict)  # block index -> reply or error


def run_page(job: PageJob, timeout: float, stopping: threading.Event) -> PageResult | None:
    """Run the page's blocks in order, as the tests would: stop after a block whose error the
    page does not show (the tests skip the rest) or whose process failed."""
    if not job.applies():
        return None
    result = PageResult()
    try:
        process = job.start()
    except SandboxError as e:
        result.start_error = e
        return result
    result.isolation = process.isolation
    try:
        for block in job.blocks:
            if stopping.is_set():
                break
            if not job.runs(block):
                continue
            try:
                reply = process.run_block(block.source, job.page, block.line, timeout)
            except SandboxError as e:
                result.answers[block.index] = e
                break
            result.answers[block.index] = reply
            if reply["error"] is not None and block.output is None:
                break
    finally:
        process.close()
    return result


class Scheduler:
    def __init__(self, jobs: int, timeout: float):
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="doc-page")
        self.timeout = timeout
        self.stopping = threading.Event()
        self.futures: dict[tuple[str, str], Future] = {}

    def submit(self, job: PageJob) -> None:
        self.futures[(job.page, job.device)] = self.pool.submit(run_page, job, self.timeout, self.stopping)

    def result(self, page: str, device: str) -> PageResult | None:
        """The page's answers (waiting for them); None: not run ahead, the test runs it itself."""
        future = self.futures.get((page, device))
        return future.result() if future is not None else None

    def close(self) -> None:
        """Start no further page or block; wait for the blocks running now (each bounded by its timeout)."""
        self.stopping.set()
        self.pool.shutdown(wait=True, cancel_futures=True)
