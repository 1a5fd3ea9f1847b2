"""The trust boundary, end to end: pages that try to decide their own verdict, escape the
timeout, leak into the next page or write where they should not. Each of these passed, or
hung the run, when page code ran inside the pytest process (before engine/)."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

from engine.report import Report
from tests.test_harness import run, site  # noqa: F401 - the `site` fixture

pytest_plugins = ["pytester"]
MARK = "987654.321"  # a sleep no other process on the machine uses


def stray_processes() -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if MARK in cmdline and "pytest" not in cmdline:
            found.append(f"{pid}: {cmdline}")
    return found


def test_pages_cannot_end_the_run_escape_the_timeout_or_leak(site, pytester):  # noqa: F811
    planted = pytester.path / "verification" / "b200-forged.json"
    site(
        docs__exit_md="""
        ```python
        import os
        os._exit(0)
        ```

        ```python
        x = 1
        ```
        """,
        docs__atexit_md="""
        ```python
        import atexit, os
        atexit.register(os._exit, 0)
        ```

        ```python
        assert 1 == 2, "a failing block: the run must fail"
        ```
        """,
        docs__patch_md="""
        ```python
        import engine.pytest_plugin as judge
        import engine.sandbox as sandbox
        judge.DocBlock.check_output = lambda *a, **k: None
        sandbox.PageProcess.run_block = lambda *a, **k: {"stdout": "shown", "error": None}
        ```

        ```python
        print("produced")
        ```

        ```output
        shown
        ```
        """,
        docs__swallow_md="""
        ```python
        import time
        while True:
            try:
                time.sleep(30)
            except:  # noqa: E722 - a bare except swallowed the old SIGALRM timeout
                pass
        ```
        """,
        docs__cloop_md="""
        ```python
        sum(range(10**11))  # one C call: no Python-level signal handler ever runs
        ```
        """,
        docs__sigalrm_md="""
        ```python
        import signal, time
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(30)
        ```
        """,
        docs__threads_md=f"""
        ```python
        import subprocess, threading, time
        threading.Thread(target=time.sleep, args=({MARK},)).start()  # non-daemon: would keep pytest alive
        subprocess.Popen(["sleep", "{MARK}"])
        subprocess.Popen(["sleep", "{MARK}"], start_new_session=True)

        def chatter():
            while True:
                print("LEAK")
                time.sleep(0.005)

        threading.Thread(target=chatter, daemon=True).start()
        ```
        """,
        docs__state_a_md=f"""
        ```python
        import os, numpy as np, torch
        torch.set_num_threads(7)
        torch.set_float32_matmul_precision("medium")
        torch.autograd.set_detect_anomaly(True)
        torch.set_default_dtype(torch.float64)
        np.random.seed(42)
        os.chdir("/")
        torch.allclose = lambda *a, **k: True
        open("{planted}", "w").write("{{}}")
        ```
        """,
        docs__state_b_md="""
        ```python
        import os, numpy as np, torch
        print("ok")
        assert torch.get_num_threads() != 7
        assert torch.get_float32_matmul_precision() == "highest"
        assert not torch.is_anomaly_enabled()
        assert torch.get_default_dtype() == torch.float32
        assert np.random.rand() != 0.3745401188473625  # the first draw after seed(42)
        assert os.getcwd() != "/"
        assert not torch.allclose(torch.zeros(1), torch.ones(1))
        ```

        ```output
        ok
        ```
        """,
        docs__write_md=f"""
        ```python
        from pathlib import Path
        Path("{pytester.path / "docs" / "planted.md"}").write_text("# planted")
        ```
        """,
        docs__ptrace_md="""
        ```python
        import os, signal
        def cmdline(pid):
            try:
                return open(f"/proc/{pid}/cmdline", "rb").read()
            except OSError:
                return b""
        me = int(os.readlink("/proc/self"))
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
        found = [p for p in others if b"pytest" in cmdline(p) or b"worker.py" in cmdline(p)]
        if os.getpid() == 1:  # own PID namespace and /proc (root): nothing outside is even listed
            assert not found, f"the judge or zygote is visible from the page: {found}"
        else:
            assert found, "the judge and the zygote are listed in /proc"
        reached = []
        for pid in found:
            try:
                open(f"/proc/{pid}/mem", "rb").close()
                reached.append(("mem", pid))
            except OSError:
                pass
        assert not reached, f"page code reached the judge or zygote: {reached}"
        ```
        """,
        docs__signal_md=f"""
        ```python
        import os
        if os.getpid() == 1:  # own PID namespace (root): the test process running this judge has no pid here
            try:
                os.kill({os.getpid()}, 0)
                raise AssertionError("the page can signal a process outside its PID namespace")
            except ProcessLookupError:
                pass
        ```
        """,
        docs__zlast_md="""
        ```python
        assert 1 + 1 == 2
        ```
        """,
    )
    start = time.monotonic()
    result, out = run(pytester, "-k", "cpu", "-o", "doc_block_timeout=3")
    took = time.monotonic() - start
    assert result.ret != 0
    fails = {
        "docs/exit.md:1 [cpu]: the page's process ended during this block",
        "docs/atexit.md:6 [cpu]: the code block raised an error",
        "docs/patch.md:12: the output shown differs from what the block at line 8 produced",
        "docs/swallow.md:1: block still running after 3 s",
        "docs/cloop.md:1: block still running after 3 s",
        "docs/sigalrm.md:1: block still running after 3 s",
        "docs/write.md:1 [cpu]: the code block raised an error",
    }
    missing = [f for f in fails if f not in out]
    assert not missing, f"{missing}\n{out}"
    assert "docs/exit.md:6: an earlier block of this page failed: docs/exit.md:1 [cpu]" in out
    assert "LEAK" not in out  # the daemon thread died with its page
    assert "docs/state_b.md::[CodeFence#1][line:1][cpu] PASSED" in out.replace(" ::", "::") or (
        "state_b.md" not in out.split("short test summary info")[-1]
    ), out
    assert "docs/zlast.md" not in out.split("short test summary info")[-1]  # the last page ran and passed
    assert not planted.exists() and not (pytester.path / "docs" / "planted.md").exists()
    assert took < 60, f"the run took {took:.0f} s: something kept it alive"
    time.sleep(0.5)
    assert not stray_processes(), stray_processes()
    report = Report.load(pytester.path / "verification" / "local.json")  # the judge's report, intact
    outcomes = {(e.page, e.index): e.outcome for e in report.entries}
    assert outcomes[("docs/zlast.md", 1)] == "passed" and outcomes[("docs/exit.md", 1)] == "failed"
    assert outcomes[("docs/state_b.md", 1)] == "passed"
    assert outcomes[("docs/ptrace.md", 1)] == "passed", out
    assert outcomes[("docs/signal.md", 1)] == "passed", out
    assert "isolation (cpu): fresh process per page" in out


def test_xdist_needs_loadfile(site, pytester):  # noqa: F811
    site(docs__p_md="```python\nx = 1\n```\n")
    result, out = run(pytester, "-n", "2")
    assert "-n needs --dist loadfile" in out + result.stderr.str()
    assert result.ret != 0


def test_update_output_never_writes_a_fence_line_into_a_shorter_fence(site, pytester):  # noqa: F811
    site(
        docs__p_md="""
        ```python
        print("```")
        print("done")
        ```

        ```output
        ```

        ```python
        x = 1
        ```
        """
    )
    run(pytester, "-k", "cpu", "--update-output")
    text = (pytester.path / "docs" / "p.md").read_text("utf-8")
    assert "````output\n```\ndone\n````\n" in text, text
    result, out = run(pytester, "-k", "cpu")
    result.assert_outcomes(passed=2)


def test_a_non_utf8_page_fails_alone_and_a_bom_is_read(site, pytester):  # noqa: F811
    site(docs__good_md="```python\nx = 1\n```\n")
    (pytester.path / "docs" / "latin1.md").write_bytes("# T\n\ncaf\xe9\n".encode("latin-1"))
    (pytester.path / "docs" / "qa").mkdir()
    (pytester.path / "docs" / "qa" / "bom.md").write_bytes(
        "\ufeff---\ntitle: t\nquestion: q\nanswer: a\ntorch_min: '2.0'\ntags: [a]\nkeywords: [k]\n---\n\n"
        "## 问题\n\n## 简短回答\n\n## 动手跑一遍\n\n```python\nx = 1\n```\n\n## 常见误区\n\n## 参考\n".encode()
    )
    result, out = run(pytester, "-k", "cpu or page")
    assert "docs/latin1.md:3: not UTF-8 (byte 0xe9" in out
    assert "front matter" not in out
    result.assert_outcomes(passed=2, failed=1)


def test_the_timeout_is_the_same_in_make_test_and_ci():
    root = Path(__file__).resolve().parent.parent
    makefile = (root / "Makefile").read_text("utf-8")
    assert "doc_block_timeout" not in makefile  # make test uses pyproject.toml's value, as CI (make test) does
    assert "make test" in (root / ".ci" / "run").read_text("utf-8")
    for workflow in (root / ".github" / "workflows").glob("*.yml"):
        assert "doc_block_timeout" not in workflow.read_text("utf-8"), workflow


def test_a_page_that_writes_on_the_protocol_socket_fails_with_page_and_line(site, pytester):  # noqa: F811
    """A print cannot forge a result (results travel on a socket, not stdout); a page that
    writes on that socket itself gets a failure, not the verdict it wrote."""
    find_socket = """
        import json, os, stat, struct
        def is_socket(n):
            try:
                return stat.S_ISSOCK(os.fstat(n).st_mode)
            except OSError:
                return False
        fd = next(n for n in range(3, 256) if is_socket(n))
        """
    site(
        docs__garbage_md=f"""
        ```python
        {textwrap.indent(textwrap.dedent(find_socket), "        ").strip()}
        os.write(fd, b"\\xff\\xff\\xff\\xffnot a message")
        ```
        """,
        docs__forged_md=f"""
        ```python
        {textwrap.indent(textwrap.dedent(find_socket), "        ").strip()}
        forged = json.dumps({{"seq": 7, "stdout": "", "stderr": "", "error": None, "duration_s": 0}}).encode()
        os.write(fd, struct.pack(">I", len(forged)) + forged)
        raise SystemExit("the real result: a failure")
        ```
        """,
        docs__printed_md="""
        ```python
        print('{"seq": 1, "stdout": "", "stderr": "", "error": null, "duration_s": 0}')
        assert False, "printing a result does not make it one"
        ```
        """,
    )
    result, out = run(pytester, "-k", "cpu", "-o", "doc_block_timeout=10")
    assert "docs/garbage.md:1 [cpu]: the page's process answered nonsense" in out, out
    assert "docs/forged.md:1 [cpu]: the page's process answered nonsense" in out, out
    assert "docs/printed.md:1 [cpu]: the code block raised an error" in out, out
    result.assert_outcomes(failed=3)
