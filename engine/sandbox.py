"""The judge's side of the trust boundary: start the zygote (engine/worker.py), get a fresh
page process from it per page and device, send blocks, read results, enforce the hard
timeout by killing the page's whole process group. Nothing a page does can reach this
process: it only ever reads length-prefixed JSON from a socket, and bounds every wait.
"""

from __future__ import annotations

import array
import json
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine import worker

WORKER = Path(worker.__file__).resolve()
START_TIMEOUT = 120.0
# Imported once in the zygote rather than in every page process (see engine/worker.py).
DEFAULT_PRELOAD = ("torch._dynamo",)  # the zygote imports torch: seconds on a loaded machine


class SandboxError(Exception):
    """The page process misbehaved: timed out, ended early, or spoke nonsense."""


class BlockTimeout(SandboxError):
    pass


class ProcessEnded(SandboxError):
    pass


class ProtocolError(SandboxError):
    pass


class StartFailed(SandboxError):
    """No page process (or no zygote) to run the page in: nothing of the page ran."""


@dataclass
class Policy:
    """How page processes are confined (pyproject.toml: doc_memory_limit_cpu, doc_isolation)."""

    memory_limit_cpu: int | None = 16 * 1024**3  # bytes of address space for a CPU page; None: no cap
    memory_limit_cuda: int | None = None  # CUDA reserves huge virtual ranges: no cap
    strict: bool = True  # no network, read-only repository, `nobody` (only possible as root)
    threads: int | None = None  # torch threads per page process (1 under xdist)


def _read(sock: socket.socket, size: int, deadline: float) -> bytes:
    buf = b""
    while len(buf) < size:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            raise BlockTimeout("timeout")
        try:
            chunk = sock.recv(min(size - len(buf), 1 << 20))
        except OSError as e:
            raise ProcessEnded(str(e)) from None
        if not chunk:
            raise ProcessEnded("the process closed its end")
        buf += chunk
    return buf


def _recv(sock: socket.socket, deadline: float) -> dict:
    """One message, or an exception: never waits past the deadline."""
    (size,) = worker.HEADER.unpack(_read(sock, worker.HEADER.size, deadline))
    if size > worker.MAX_MESSAGE:
        raise ProtocolError(f"a message of {size} bytes announced (at most {worker.MAX_MESSAGE})")
    try:
        message = json.loads(_read(sock, size, deadline).decode("utf-8"))
    except ValueError as e:
        raise ProtocolError(f"not a JSON message: {e}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message that is not a JSON object")
    return message


def _send(sock: socket.socket, message: dict, fds=()) -> None:
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    data = worker.HEADER.pack(len(data)) + data
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", list(fds)).tobytes())] if fds else []
    sent = sock.sendmsg([data], ancillary)
    if sent < len(data):
        sock.sendall(data[sent:])


def protect_judge() -> None:
    """As root, make this process non-dumpable: a page process that stays uid 0 (without
    capabilities, where `nobody` cannot read the interpreter) cannot ptrace it or read and
    write its memory through /proc/PID/mem. It can still signal it, which ends the run
    with a failure, never with a pass."""
    if os.geteuid() == 0:
        import ctypes

        ctypes.CDLL(None).prctl(worker.PR_SET_DUMPABLE, 0, 0, 0, 0)


def _readable_by_others(path: Path) -> bool:
    """Can a process of another user (nobody) read `path` and reach it?"""
    path = path.resolve()
    for p in [path, *path.parents]:
        try:
            mode = p.stat().st_mode
        except OSError:
            return False
        if not mode & 0o001 or (p == path and not mode & 0o004):
            return False
    return True


def _unprivileged_user(root: Path, paths: list[str] | None = None) -> str | None:
    """`nobody` where it can read what the page process imports lazily (the standard
    library, site-packages, the repository); otherwise root without capabilities.
    `paths`: the page side's own (the zygote's hello), else this interpreter's."""
    if os.geteuid() != 0:
        return None
    import sysconfig

    if paths is None:
        paths = [sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")]
    needed = [Path(p) for p in paths] + [root]
    return "nobody" if all(_readable_by_others(p) for p in needed) else "no-capabilities"


class Zygote:
    """One per pytest process (or xdist worker, or site build)."""

    def __init__(self, root: Path, python: str = sys.executable, preload: tuple[str, ...] = DEFAULT_PRELOAD):
        """`python`: the interpreter (and so the torch) the pages run under; the judge's
        own by default, another venv's for the torch version matrix (make test-torch)."""
        self.root = root
        self.python = python
        judge, child = socket.socketpair()
        env = {**os.environ, "PYTORCH_NVML_BASED_CUDA_CHECK": "1"}
        self.proc = subprocess.Popen(
            [python, str(WORKER), str(root), str(child.fileno()), *preload],
            pass_fds=[child.fileno()],
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(root),
        )
        child.close()
        self.control = judge
        self._hello: dict | None = None
        self.lock = threading.RLock()

    def hello(self) -> dict:
        with self.lock:
            if self._hello is None:
                try:
                    self._hello = _recv(self.control, time.monotonic() + START_TIMEOUT)
                except SandboxError as e:
                    raise StartFailed(f"the page-process starter (engine/worker.py) did not start: {e}") from None
            return self._hello

    def _ask(self, message: dict, fds=()) -> dict:
        self.hello()
        with self.lock:  # pages start from several threads (doc_jobs): one question at a time
            _send(self.control, message, fds)
            return _recv(self.control, time.monotonic() + 30)

    def start_page(self, device: str, policy: Policy, timeout: float, fonts: tuple[str, ...] = ()) -> PageProcess:
        """`fonts`: font files registered with matplotlib before the first block (engine/fonts.py)."""
        scratch = tempfile.mkdtemp(prefix="doc-page-")
        user = _unprivileged_user(self.root, self.hello().get("paths")) if policy.strict else None
        if user == "nobody":
            os.chown(scratch, pwd.getpwnam("nobody").pw_uid, -1)
        mine, theirs = socket.socketpair()
        limit = policy.memory_limit_cpu if device == "cpu" else policy.memory_limit_cuda
        request = {
            "op": "fork",
            "device": device,
            "scratch": scratch,
            "network": "off" if policy.strict else "on",
            "user": user,
            "read_only": str(self.root) if policy.strict else None,
            "memory_limit": limit,
            "threads": policy.threads,
            "fonts": [str(f) for f in fonts],
        }
        try:
            reply = self._ask(request, [theirs.fileno()])
        finally:
            theirs.close()
        page = PageProcess(self, reply["pid"], mine, scratch)
        try:
            ready = _recv(mine, time.monotonic() + max(timeout, 30))
        except SandboxError as e:
            page.close()
            raise StartFailed(f"the page process did not start: {e}") from None
        if not ready.get("ready"):
            page.close()
            raise StartFailed(f"the page process did not start:\n{ready.get('error')}")
        page.isolation = ready.get("isolation", {})
        return page

    def end(self, pid: int) -> None:
        """Have the zygote reap the page process and kill what it left behind (no answer)."""
        try:
            with self.lock:
                _send(self.control, {"op": "end", "pid": pid})
        except OSError:
            pass

    def close(self) -> None:
        try:
            self.control.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class PageProcess:
    zygote: Zygote
    pid: int
    sock: socket.socket
    scratch: str
    isolation: dict = field(default_factory=dict)
    seq: int = 0
    closed: bool = False

    def kill(self) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(self.pid, signal.SIGKILL)
            except OSError:
                pass

    def request(self, message: dict, timeout: float) -> dict:
        """Send one request and wait for its answer; kill the page's process group on any failure."""
        self.seq += 1
        message = {**message, "seq": self.seq}
        try:
            _send(self.sock, message)
            reply = _recv(self.sock, time.monotonic() + timeout)
            if reply.get("seq") != self.seq:
                raise ProtocolError(f"an answer to request {reply.get('seq')!r} came back for request {self.seq}")
            return reply
        except BrokenPipeError:
            self.close()
            raise ProcessEnded("the process had already ended") from None
        except SandboxError:
            self.close()
            raise

    def run_block(self, source: str, filename: str, line: int, timeout: float) -> dict:
        reply = self.request({"op": "run", "source": source, "filename": filename, "line": line}, timeout)
        for key, kind in (("stdout", str), ("stderr", str), ("duration_s", (int, float))):
            if not isinstance(reply.get(key), kind):
                self.close()
                raise ProtocolError(f"an answer without {key}")
        error = reply.get("error")
        if error is not None and not (
            isinstance(error, dict) and all(isinstance(error.get(k), str) for k in ("type", "message", "traceback"))
        ):
            self.close()
            raise ProtocolError("a malformed error in the answer")
        return reply

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.kill()
        self.sock.close()
        self.zygote.end(self.pid)
        shutil.rmtree(self.scratch, ignore_errors=True)


def call_in_sandbox(
    root: Path, module: str, function: str, args: list, timeout: float, policy: Policy | None = None, fonts=()
):
    """Run `module.function(*args)` (repository code, e.g. the figures) in a page process
    and return its JSON-able result: build-time code never runs in the build process."""
    zygote = Zygote(root)
    try:
        page = zygote.start_page("cpu", policy or Policy(), timeout, fonts)
        try:
            reply = page.request({"op": "call", "module": module, "function": function, "args": args}, timeout)
        except BlockTimeout:
            raise SandboxError(f"{module}.{function}{tuple(args)} still running after {timeout:g} s") from None
        finally:
            page.close()
        if reply.get("error"):
            raise SandboxError(f"{module}.{function}{tuple(args)} raised:\n{reply['error'].get('traceback')}")
        return reply.get("value")
    finally:
        zygote.close()
