"""engine/scheduler.py on fake page processes (no subprocess): pages run side by side,
each page's blocks in order, and a page stops exactly where the tests would skip."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.page import Block, Output
from engine.sandbox import BlockTimeout, SandboxError
from engine.scheduler import PageJob, Scheduler, run_page


class FakeProcess:
    """Answers each block with what `script` says for its line: a reply dict or an exception."""

    def __init__(self, script=None, barrier=None):
        self.script, self.barrier = script or {}, barrier
        self.ran: list[int] = []
        self.closed = False
        self.isolation = {"network": "none"}

    def run_block(self, source, filename, line, timeout):
        if self.barrier is not None and not self.ran:
            self.barrier.wait()  # both pages' first blocks must be running at the same time
        self.ran.append(line)
        answer = self.script.get(line, {"stdout": f"{source}\n", "error": None, "duration_s": 0.0})
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self):
        self.closed = True


def blocks(*specs) -> list[Block]:
    """(line, has_output, notest) per block."""
    out = []
    for i, (line, has_output, notest) in enumerate(specs, 1):
        output = Output(line + 3, "x", line + 5) if has_output else None
        out.append(Block(Path("p.md"), line, i, f"print({line})", output=output, notest=notest))
    return out


ERROR = {"stdout": "", "error": {"type": "ValueError", "message": "ValueError: x", "traceback": "t"}, "duration_s": 0}


def test_pages_run_side_by_side():
    """Two pages, two jobs: their first blocks meet at a barrier, which a one-at-a-time
    scheduler would never reach (the barrier then breaks after its timeout)."""
    barrier = threading.Barrier(2, timeout=20)
    procs = [FakeProcess(barrier=barrier), FakeProcess(barrier=barrier)]
    scheduler = Scheduler(jobs=2, timeout=5)
    for n, proc in enumerate(procs):
        scheduler.submit(PageJob(f"p{n}.md", "cpu", blocks((1, False, None)), start=lambda proc=proc: proc))
    results = [scheduler.result(f"p{n}.md", "cpu") for n in range(2)]
    scheduler.close()
    assert all(r.answers[1]["stdout"] == "print(1)\n" for r in results)
    assert all(p.closed for p in procs)


def test_blocks_run_in_page_order_and_skip_notest():
    proc = FakeProcess()
    page = blocks((1, False, None), (5, False, "needs data"), (9, True, None))
    result = run_page(PageJob("p.md", "cpu", page, start=lambda: proc), 5, threading.Event())
    assert proc.ran == [1, 9] and set(result.answers) == {1, 3} and proc.closed
    assert result.isolation == {"network": "none"}


def test_an_error_the_page_shows_goes_on_one_it_does_not_stops():
    proc = FakeProcess({1: ERROR, 5: ERROR})
    page = blocks((1, True, None), (5, False, None), (9, False, None))  # block 1 shows its error; 2 does not
    result = run_page(PageJob("p.md", "cpu", page, start=lambda: proc), 5, threading.Event())
    assert proc.ran == [1, 5] and 3 not in result.answers  # the tests skip block 3: it must not run


def test_a_timeout_ends_the_page_and_is_its_answer():
    proc = FakeProcess({5: BlockTimeout("still running")})
    page = blocks((1, False, None), (5, False, None), (9, False, None))
    result = run_page(PageJob("p.md", "cpu", page, start=lambda: proc), 5, threading.Event())
    assert isinstance(result.answers[2], BlockTimeout) and proc.ran == [1, 5] and proc.closed


def test_a_page_that_cannot_start_or_does_not_apply():
    def broken():
        raise SandboxError("the page process did not start: no")

    result = run_page(PageJob("p.md", "cpu", blocks((1, False, None)), start=broken), 5, threading.Event())
    assert isinstance(result.start_error, SandboxError) and result.answers == {}
    skipped = PageJob("p.md", "cuda", blocks((1, False, None)), start=broken, applies=lambda: False)
    assert run_page(skipped, 5, threading.Event()) is None


def test_stopping_starts_no_further_block():
    stopping = threading.Event()
    stopping.set()
    proc = FakeProcess()
    result = run_page(PageJob("p.md", "cpu", blocks((1, False, None)), start=lambda: proc), 5, stopping)
    assert proc.ran == [] and result.answers == {} and proc.closed


def test_blocks_the_tests_skip_are_not_run():
    """A block the tests skip on this torch (data-torch) must not run ahead either: it would
    change the page's state for the blocks after it."""
    proc = FakeProcess()
    page = blocks((1, False, None), (5, False, None), (9, False, None))
    job = PageJob("p.md", "cpu", page, start=lambda: proc, runs=lambda b: b.line != 5)
    result = run_page(job, 5, threading.Event())
    assert proc.ran == [1, 9] and set(result.answers) == {1, 3}
