"""The side of the trust boundary where page code runs: a warm "zygote" process and the
page processes it forks. Standard library and torch only, Python 3.8+ (a GPU machine may
run it under an older torch from another venv), run as a script:

    python engine/worker.py ROOT CONTROL_FD [MODULE_TO_PRELOAD ...]

The zygote imports torch once (never initialising CUDA: the judge sets
PYTORCH_NVML_BASED_CUDA_CHECK=1), says hello on CONTROL_FD, then waits for requests from
the judge (engine/sandbox.py). For each page and device the judge sends one end of a
fresh socket pair; the zygote forks a page process that

- starts a new session (its own process group, which the judge kills on a timeout),
- closes every inherited descriptor but the page socket (it cannot ask the zygote for
  anything, nor reach the judge's pipes),
- where it is root: leaves the network (unshare(CLONE_NEWNET)) and becomes `nobody`,
  so it cannot write the repository nor signal the judge; elsewhere it says which of
  these it could not do,
- caps its address space (RLIMIT_AS) where the judge asks (CPU runs),
- works in a fresh scratch directory (cwd, HOME, TMPDIR),
- runs the page's blocks in one namespace, in order, and answers each with what it
  printed and raised, as length-prefixed JSON messages on the page socket (never on
  stdout: a print cannot forge a message).

The page process never exits by itself between blocks: the judge ends it (and the
zygote reaps it and kills whatever it left behind). Nothing here decides pass or fail.
"""

from __future__ import annotations

import array
import ctypes
import fcntl
import io
import json
import linecache
import os
import random
import resource
import signal
import socket
import struct
import sys
import time
import traceback

HEADER = struct.Struct(">I")
MAX_MESSAGE = 64 * 1024 * 1024
MAX_TEXT = 2 * 1024 * 1024  # characters of stdout/stderr a block may send back
CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
NOBODY = 65534

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def send(sock, message, fds=()):
    data = json.dumps(message, ensure_ascii=False).encode("utf-8")
    data = HEADER.pack(len(data)) + data
    if fds:
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", list(fds)).tobytes())]
        sent = sock.sendmsg([data], anc)
        data = data[sent:]
    if data:
        sock.sendall(data)


def _recv_exact(sock, size, fds):
    chunks, got = [], 0
    while got < size:
        if fds is not None:
            data, anc, _, _ = sock.recvmsg(size - got, socket.CMSG_SPACE(4 * 4))
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.extend(array.array("i", payload[: len(payload) - len(payload) % 4]))
        else:
            data = sock.recv(size - got)
        if not data:
            raise EOFError("the other side closed the connection")
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def recv(sock, fds=None):
    (size,) = HEADER.unpack(_recv_exact(sock, HEADER.size, fds))
    if size > MAX_MESSAGE:
        raise ValueError("message too long")
    return json.loads(_recv_exact(sock, size, fds).decode("utf-8"))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


# ---------------------------------------------------------------- the page process


def _clip(text):
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT] + f"\n[... {len(text) - MAX_TEXT} more characters not sent back]\n"
    return text


def _isolate(request):
    """Everything that happens before the first block; returns what was done and what not."""
    done = {"process": "fresh process per page"}
    done["pids"] = "own PID namespace" if os.getpid() == 1 else "shared PID namespace (not root)"
    os.setsid()
    keep = request["_fd"]
    os.closerange(3, keep)
    os.closerange(keep + 1, 65536)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # C-level output of the page goes nowhere; Python-level is captured
        os.dup2(null, fd)
    os.close(null)
    scratch = request["scratch"]
    root = os.geteuid() == 0
    if request.get("network") == "off":
        if libc().unshare(CLONE_NEWNET) == 0:
            done["network"] = "none (own network namespace, loopback only)"
            _loopback_up()
        else:
            done["network"] = f"not isolated (unshare: {os.strerror(ctypes.get_errno())})"
    else:
        done["network"] = "not isolated (not asked)"
    limit = request.get("memory_limit")
    if limit:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            done["memory"] = f"RLIMIT_AS {limit // (1024 * 1024)} MiB"
        except (ValueError, OSError) as e:
            done["memory"] = f"no limit ({e})"
    else:
        done["memory"] = "no limit"
    os.chdir(scratch)
    os.environ["HOME"] = os.environ["TMPDIR"] = os.environ["MPLCONFIGDIR"] = scratch
    read_only = request.get("read_only")
    if read_only and root:
        done["repository"] = _read_only(read_only)
    else:
        done["repository"] = "writable (%s)" % ("not asked" if root else "the judge is not root")
    if request.get("user") == "nobody" and root:
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            done["user"] = "nobody (cannot write the repository or signal the judge)"
            libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # its own /proc/self readable again
        except OSError as e:
            done["user"] = f"root (setuid: {e})"
    elif request.get("user") == "no-capabilities" and root:
        done["user"] = _drop_capabilities()
    else:
        done["user"] = "same as the judge (%s)" % ("not asked" if root else "the judge is not root")
    libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
    if os.getppid() == 1:
        os._exit(3)
    return done


def _loopback_up():
    """A new network namespace has only `lo`, and it is down: bring it up, so code that
    talks to itself (a single-process gloo group) works while nothing outside is reachable."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sh", b"lo", 0).ljust(40, b"\0")
        flags = struct.unpack("16sh", fcntl.ioctl(s, siocgifflags, request)[:18])[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up).ljust(40, b"\0"))


def _read_only(path):
    """A private mount namespace in which `path` (the repository) is read-only."""
    c = libc()
    if c.unshare(CLONE_NEWNS) != 0:
        return f"writable (unshare mount namespace: {os.strerror(ctypes.get_errno())})"
    p = path.encode()
    if (
        c.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0
        or c.mount(p, p, None, MS_BIND | MS_REC, None) != 0
        or c.mount(None, p, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None) != 0
    ):
        return f"writable (mount: {os.strerror(ctypes.get_errno())})"
    if os.getpid() == 1:  # own PID namespace: a /proc that lists only the page's processes
        c.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    return "read-only (own mount namespace)"


def _drop_capabilities():
    """Stay uid 0 (the interpreter may live where only root can read) but without any
    capability, now or after exec: no remount, no namespace games, no setuid binaries."""
    c = libc()
    for cap in range(64):
        c.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    c.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    if c.capset(header, data) != 0:
        return f"root (capset: {os.strerror(ctypes.get_errno())})"
    return "root without capabilities (the interpreter is not readable by nobody)"


def _reset_torch(device, threads):
    import torch

    if threads:
        torch.set_num_threads(threads)
    if device != "cpu":
        torch.set_default_device(device)
        torch.manual_seed(0)
        return {"device_name": torch.cuda.get_device_name()}
    torch.random.default_generator.manual_seed(0)
    return {}


class _Capture(io.StringIO):
    """sys.stdout / sys.stderr of a block; `encoding` and `isatty` as a terminal's."""

    encoding = "utf-8"

    def isatty(self):
        return False


def _format_error(exc, filename):
    """(type, the last line(s) a reader sees, traceback from the page's first frame)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    only = "".join(traceback.format_exception_only(type(exc), exc))
    full = "".join(traceback.format_exception(type(exc), exc, tb))
    return {"type": type(exc).__name__, "message": only, "traceback": full}


def _run_block(namespace, request):
    filename = request["filename"]
    text = "\n" * (request["line"]) + request["source"]
    # Tracebacks quote the page's own lines, numbered as on the page.
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    out, err = _Capture(), _Capture()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    exc_info = None
    start = time.perf_counter()
    try:
        exec(compile(text, filename, "exec"), namespace)
    except BaseException as e:  # noqa: B036 - SystemExit and KeyboardInterrupt are the block's too
        exc_info = _format_error(e, filename)
    finally:
        duration = time.perf_counter() - start
        sys.stdout, sys.stderr = saved
    return {
        "seq": request["seq"],
        "stdout": _clip(out.getvalue()),
        "stderr": _clip(err.getvalue()),
        "error": exc_info,
        "duration_s": duration,
    }


def _call(request):
    """Call a function of the repository (e.g. snippets.figures.draw_all) and return its result."""
    import importlib

    module = importlib.import_module(request["module"])
    out = _Capture()
    saved = sys.stdout
    sys.stdout = out
    try:
        value = getattr(module, request["function"])(*request.get("args", []))
        return {"seq": request["seq"], "value": value, "error": None}
    except BaseException as e:  # noqa: B036
        return {"seq": request["seq"], "value": None, "error": _format_error(e, "")}
    finally:
        sys.stdout = saved


def _register_fonts(paths):
    """The figures' CJK font subset (engine/fonts.py), for a page that draws with matplotlib:
    what the downloaded notebook's setup cell does, so the page draws the same glyphs."""
    if paths:
        from matplotlib import font_manager

        for path in paths:
            font_manager.fontManager.addfont(path)


def page_process(sock, request):
    try:
        isolation = _isolate(request)
        isolation.update(_reset_torch(request["device"], request.get("threads")))
        random.seed(0)
        _register_fonts(request.get("fonts") or [])
        send(sock, {"ready": True, "isolation": isolation, "pid": os.getpid()})
    except BaseException as e:  # noqa: B036
        try:
            send(sock, {"ready": False, "error": "".join(traceback.format_exception(type(e), e, e.__traceback__))})
        finally:
            os._exit(2)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    while True:
        try:
            request = recv(sock)
        except (EOFError, OSError, ValueError):
            os._exit(0)
        if request.get("op") == "run":
            reply = _run_block(namespace, request)
        elif request.get("op") == "call":
            reply = _call(request)
        else:
            os._exit(0)
        send(sock, reply)


# ---------------------------------------------------------------- the zygote


def _descendants_to_kill(live):
    """Children of the zygote that are not page processes: orphans a page left behind
    (the zygote is their subreaper)."""
    me = os.getpid()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        if ppid == me and int(name) not in live:
            found.append(int(name))
    return found


def _reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _sweep(live):
    """Kill and reap whatever the ended pages left running, until nothing is left."""
    for _ in range(50):
        _reap()
        stray = _descendants_to_kill(live)
        if not stray:
            return
        for pid in stray:
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.001)


def zygote(root, control_fd, preload=()):
    sys.path.insert(0, root)
    libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    subreaper = libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    if os.geteuid() == 0:
        # Not ptrace-able (nor /proc/PID/mem) by a page process that stays uid 0 without
        # capabilities; page processes inherit it, so they cannot reach each other either.
        libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    control = socket.socket(fileno=control_fd)
    start = time.perf_counter()
    import torch

    # No torch op before fork (not even get_num_threads, which starts OpenMP); only imports
    # that every page would otherwise pay for again, e.g. torch._dynamo, which the first
    # torch.optim optimizer imports (800 modules, 1.5 s or more).
    preloaded = []
    for name in preload:
        try:
            __import__(name)
            preloaded.append(name)
        except Exception:  # noqa: BLE001 - an older torch has no such module: fine
            pass
    import sysconfig

    hello = {
        "torch": str(torch.__version__),
        "python": ".".join(str(n) for n in sys.version_info[:3]),
        "cuda": bool(torch.cuda.is_available()),  # NVML-based: CUDA itself stays uninitialised
        "cuda_initialised": bool(torch.cuda.is_initialized()),
        "cpu": f"{cpu_model()}, {os.cpu_count() or 0} cores",
        "root": os.geteuid() == 0,
        "subreaper": subreaper,
        "pid": os.getpid(),
        "import_s": time.perf_counter() - start,
        "preloaded": preloaded,
        # What a page process reads lazily (the judge checks `nobody` can): this Python's,
        # which need not be the judge's (pytest --torch-python).
        "executable": sys.executable,
        "paths": sorted({sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}),
    }
    try:
        send(control, hello)
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)  # the judge finished (a run with no page to test) before torch was imported
    live = set()
    spare = None  # (pid, socket): a page process forked ahead of time, waiting for its request
    while True:
        fds = []
        try:
            request = recv(control, fds)
        except (EOFError, OSError, ValueError):
            break
        _reap()
        op = request.get("op")
        if op == "fork" and fds:
            if spare is None:
                spare = _fork_spare(control)
            pid, handoff = spare
            try:
                send(handoff, request, fds=[fds[0]])
            finally:
                handoff.close()
                os.close(fds[0])
            live.add(pid)
            send(control, {"pid": pid})
            # Fork the next one now, while the judge works with this one: fork copies the
            # page tables of a process that has torch loaded (about 25 ms), off the critical path.
            spare = _fork_spare(control)
        elif op == "end":
            pid = request["pid"]
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            live.discard(pid)
            _sweep(live | {spare[0]} if spare else live)  # no answer: the judge goes on meanwhile
        else:
            for fd in fds:
                os.close(fd)
            break
    for pid in list(live) + ([spare[0]] if spare else []):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    _sweep(set())
    os._exit(0)


def _own_pid_namespace(theirs):
    """Where it is root: the page runs as PID 1 of its own PID namespace, so it cannot name
    (nor signal) the judge, the zygote or another page, and everything it starts dies with
    it. This process (the pid the judge kills) stays outside and only waits for it."""
    if os.geteuid() != 0 or libc().unshare(CLONE_NEWPID) != 0:
        return
    os.setsid()  # the judge kills this process group; the page below dies with it (PDEATHSIG)
    inner = os.fork()
    if inner == 0:
        libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        return
    theirs.close()
    os.closerange(3, 65536)  # hold nothing of the page's: only wait for it
    while True:
        try:
            _, status = os.waitpid(inner, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF if hasattr(os, "waitstatus_to_exitcode") else 1)
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue


def _fork_spare(control):
    """A child that waits for one request (and the judge's socket) from the zygote, then
    becomes that page's process."""
    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        control.close()
        mine.close()
        libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _own_pid_namespace(theirs)
        fds = []
        try:
            request = recv(theirs, fds)
        except (EOFError, OSError, ValueError):
            os._exit(0)
        theirs.close()
        if not fds:
            os._exit(0)
        request["_fd"] = fds[0]
        try:
            page_process(socket.socket(fileno=fds[0]), request)
        finally:
            os._exit(1)
    theirs.close()
    return pid, mine


if __name__ == "__main__":
    zygote(sys.argv[1], int(sys.argv[2]), [m for m in sys.argv[3:] if m])
