"""The zygote: a warm, single-threaded process that forks isolated children on request.

A worker's `IsolationPool` starts one zygote, a fresh interpreter (`python -c`, as `spawn`
starts them). It sets PyMuPDF up (`prepare_mupdf`), imports what every child needs (PyMuPDF,
the engines, the chunker, the schemas) once (a long-lived worker's also RapidOCR's module:
`OCR_MODULES`), says ready and then waits. A child is a fork of it: it costs milliseconds
instead of a new interpreter's imports (~0.7 s of CPU). Forking is safe there because the
zygote never starts a thread, opens a database connection or a MuPDF document; it checks that
it is alone before each fork. A forked child then runs
`workers.isolation.child.main` like a spawned one did (address-space cap, its own engine
resources, orphan watch).

The control socket (SOCK_SEQPACKET, one message per packet) carries:

- worker → zygote: `F` with the child's socket end as ancillary data: fork a child;
- zygote → worker: `R` ready (or `E` + a message), `P` + pid with a pidfd of the child as
  ancillary data (or `E` + a message: it would not or could not fork, and goes on serving),
  `X` + pid + exit code (`subprocess`'s convention: -N for signal N) when the zygote reaped a
  child.

The zygote ends when the worker hangs up (its children, which see EOF on their own sockets
when idle, get `HANGUP_GRACE_SECONDS` to exit) or is gone (its children are killed at once);
it reaps them all before it exits. A child whose zygote died anyway (SIGKILL) notices it is
orphaned and exits (`child._exit_when_orphaned`).

Nothing a child started outlives it. Each child leads a process group of its own, so what it
runs (LibreOffice, ffmpeg, the Moonshine helper) is in that group, and has a temporary folder
of its own (`TMPDIR`). However the child ends (its work done, killed at a deadline or its
memory limit, crashed), the zygote sees it exit, kills its group while the unreaped child still
holds the group's id (so no other process can have it), then reaps it and removes its folder.
An orphaned child does both itself before it exits.
"""

import contextlib
import gc
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

__all__ = ["OCR_MODULES", "PRELOADED", "ForkedProcess", "Zygote", "ZygoteError", "main"]

PRELOADED = (
    "pymupdf",
    "schemas.settings",
    "pipeline.engines.catalog",
    "pipeline.run",
    "workers.model_tiers",
    "workers.isolation.work",
    "workers.isolation.hooks",
    "workers.isolation.child",
)
"""What every child imports anyway: imported once in the zygote, shared by its forks."""

OCR_MODULES = ("rapidocr.main",)
"""What a child's first OCR imports: RapidOCR's module, ~0.7 s of CPU (two YAML files loaded
with OmegaConf). A long-lived worker's zygote preloads it (`Zygote(preload=OCR_MODULES)`), so
no child pays it; a one-shot ingest's does not, as a text-only batch would pay it for nothing.
It leaves the zygote single-threaded: OpenBLAS is held to the calling thread, and onnxruntime,
whose import starts a thread, is imported only when a child builds its sessions."""

ORPHAN_CHECK_SECONDS = 1.0
HANGUP_GRACE_SECONDS = 5.0
"""After the worker hangs up, how long children may take to finish before they are killed."""
_PID = struct.Struct("!i")
_EXIT = struct.Struct("!ii")
_PACKET = 4096
_CODE = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from workers.isolation.zygote import main; main(int(sys.argv[2]), sys.argv[3:])"
)
_IMPORT_ROOT = Path(__file__).resolve().parents[2]


class ZygoteError(RuntimeError):
    """The zygote did not start, refused to fork or is gone."""


class Zygote:
    """The worker's end: start the zygote, fork children through it, learn how they exited.

    Thread-safe: the control socket is used under a lock, and exit reports read while waiting
    for one reply are kept for their own callers."""

    def __init__(self, preload: Sequence[str] = ()) -> None:
        """Start a zygote that imports `PRELOADED` and the modules in `preload`."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _CODE, str(_IMPORT_ROOT), str(theirs.fileno()), *preload],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=_zygote_environment(),
            )
        self._control = ours
        self._lock = threading.Lock()
        self._exits: dict[int, int] = {}
        self._ready = False

    def wait_ready(self, timeout: float) -> None:
        """Block until the zygote has imported what its children need."""
        with self._lock:
            while not self._ready:
                packet, fds = self._read(timeout)
                _close_all(fds)
                if packet[:1] == b"R":
                    self._ready = True
                elif packet[:1] == b"E":
                    raise ZygoteError(packet[1:].decode(errors="replace"))

    def alive(self) -> bool:
        return self.process.poll() is None

    def fork(self, child_end: socket.socket, timeout: float) -> "ForkedProcess":
        """A new child serving `child_end`; the caller keeps its own end of the pair."""
        self.wait_ready(timeout)
        with self._lock:
            try:
                socket.send_fds(self._control, [b"F"], [child_end.fileno()])
            except OSError as exc:
                raise ZygoteError(f"the zygote is gone: {exc}") from exc
            while True:
                packet, fds = self._read(timeout)
                if packet[:1] == b"P" and len(fds) == 1:
                    return ForkedProcess(self, _PID.unpack(packet[1:])[0], fds[0])
                _close_all(fds)
                if packet[:1] == b"E":
                    raise ZygoteError(packet[1:].decode(errors="replace"))

    def exit_code(self, pid: int, timeout: float) -> int | None:
        """The exit code the zygote reported for its child `pid`, waiting at most `timeout`
        seconds; None when it is not known (the zygote died too)."""
        with self._lock:
            while pid not in self._exits:
                try:
                    _close_all(self._read(timeout)[1])
                except ZygoteError:
                    return None
            return self._exits.pop(pid)

    def close(self) -> None:
        """Hang up; the zygote exits (killed if it does not within 5 s)."""
        self._control.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _read(self, timeout: float) -> tuple[bytes, list[int]]:
        """The next packet (an exit report is also kept for its caller); holds the lock."""
        if not select.select([self._control], [], [], timeout)[0]:
            raise ZygoteError(f"the zygote did not answer within {timeout:g} s")
        try:
            packet, fds, _, _ = socket.recv_fds(self._control, _PACKET, 1)
        except OSError as exc:
            raise ZygoteError(f"the zygote is gone: {exc}") from exc
        if not packet:
            raise ZygoteError("the zygote is gone")
        if packet[:1] == b"X":
            pid, code = _EXIT.unpack(packet[1:])
            self._exits[pid] = code
        return packet, fds


class ForkedProcess:
    """A child forked by the zygote, with the parts of `subprocess.Popen` the pool uses.

    Signals go through a pidfd, so a reaped child's recycled pid is never signalled."""

    def __init__(self, zygote: Zygote, pid: int, pidfd: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._zygote = zygote
        self._pidfd: int | None = pidfd

    def poll(self) -> int | None:
        if self.returncode is None and self._exited(0):
            self._collect()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            if not self._exited(timeout):
                raise subprocess.TimeoutExpired(f"isolated child {self.pid}", timeout or 0)
            self._collect()
        return self.returncode

    def kill(self) -> None:
        if self._pidfd is not None and self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def _exited(self, timeout: float | None) -> bool:
        if self._pidfd is None:
            return True
        return bool(select.select([self._pidfd], [], [], timeout)[0])

    def _collect(self) -> None:
        code = self._zygote.exit_code(self.pid, 5.0)
        self.returncode = code if code is not None else 255
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None

    def __del__(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)


def _zygote_environment() -> dict[str, str]:
    """The worker's environment, with OpenBLAS kept to the calling thread: its thread pool
    would start at numpy's import and make the zygote unsafe to fork (children work one per
    core anyway)."""
    return {"OPENBLAS_NUM_THREADS": "1", **os.environ}


def _close_all(fds: list[int]) -> None:
    for descriptor in fds:
        os.close(descriptor)


# --- the zygote process ------------------------------------------------------------------------


def main(control_fd: int, extra: Sequence[str] = ()) -> None:
    """Entry of `python -c`: setup and preload (`PRELOADED`, then `extra`), then fork children
    until hung up."""
    control = socket.socket(fileno=control_fd)
    try:
        _preload(extra)
    except Exception:
        report = b"E" + f"the zygote could not load: {traceback.format_exc()}".encode()[-3000:]
    else:
        report = b"R"
    try:
        control.send(report)
    except OSError:
        return  # the worker hung up (or closed its pool) before the zygote was ready
    if report == b"R":
        _serve(control)


def _preload(extra: Sequence[str] = ()) -> None:
    from importlib import import_module

    from pipeline.sources.mupdf import prepare_mupdf

    prepare_mupdf()
    for name in (*PRELOADED, *extra):
        import_module(name)
    # What is loaded now lives as long as the children: out of the collector's way, so their
    # collections neither walk it nor write to (and copy) its pages.
    gc.freeze()


def _serve(control: socket.socket) -> None:
    parent = os.getppid()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, _ignore)
    children: dict[int, Path] = {}  # pid -> the child's temporary folder
    grace = 0.0  # the worker is gone: its children's work is lost, end them at once
    while os.getppid() == parent:
        ready = select.select([control.fileno(), wake_read], [], [], ORPHAN_CHECK_SECONDS)[0]
        if wake_read in ready:
            while _drain(wake_read):
                pass
        _report_exits(control, children)
        if control.fileno() not in ready:
            continue
        try:
            packet, fds, _, _ = socket.recv_fds(control, _PACKET, 1)
        except OSError:
            packet, fds = b"", []
        if not packet:
            grace = HANGUP_GRACE_SECONDS  # hung up (closed or exited): idle children see EOF
            break
        if packet[:1] != b"F" or len(fds) != 1:
            _close_all(fds)
            continue
        _fork_child(control, fds[0], (wake_read, wake_write), children)
    _end_children(children, grace)


def _end_children(children: dict[int, Path], grace: float) -> None:
    """Reap the children, waiting at most `grace` seconds before killing those still there,
    so none outlives the zygote (and their CPU time is accounted to the worker)."""
    deadline = time.monotonic() + grace
    while children and time.monotonic() < deadline:
        if _reap_one(children) is None:
            time.sleep(0.05)
    for pid in children:  # not reaped yet: the pid, and the group of that id, are still its
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # a child killed before it led its own group
    while children:
        if _reap_one(children, block=True) is None:
            return


def _reap_one(children: dict[int, Path], *, block: bool = False) -> tuple[int, int] | None:
    """Reap one exited child: first its process group is killed (whatever it started and left
    running), while the unreaped child still holds the group's id, then its temporary folder is
    removed. Returns (pid, exit code), or None when none has exited (or none is left)."""
    options = os.WEXITED | os.WNOWAIT | (0 if block else os.WNOHANG)
    try:
        exited = os.waitid(os.P_ALL, 0, options)
    except ChildProcessError:
        return None
    if exited is None:
        return None
    pid = exited.si_pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    workdir = children.pop(pid, None)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)
    return pid, os.waitstatus_to_exitcode(status)


def _fork_child(
    control: socket.socket, child_fd: int, wake: tuple[int, int], children: dict[int, Path]
) -> None:
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        _refuse(control, child_fd, f"the zygote has {threads} threads: it does not fork")
        return
    try:
        workdir = Path(tempfile.mkdtemp(prefix="greenhouse-child-"))
    except OSError as exc:
        _refuse(control, child_fd, f"no temporary folder for a child: {exc}")
        return
    try:
        pid = os.fork()
    except OSError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        _refuse(control, child_fd, f"the zygote could not fork: {exc}")
        return
    if pid == 0:
        _child(control, child_fd, wake, workdir)
    children[pid] = workdir
    os.close(child_fd)
    pidfd = os.pidfd_open(pid)
    try:
        socket.send_fds(control, [b"P" + _PID.pack(pid)], [pidfd])
    except OSError:
        pass  # the worker hung up: the child sees EOF on its socket, the loop ends at ours
    finally:
        os.close(pidfd)


def _refuse(control: socket.socket, child_fd: int, message: str) -> None:
    """Answer a fork request with an error (`E`); the zygote goes on serving."""
    os.close(child_fd)
    with contextlib.suppress(OSError):  # the worker hung up: the loop ends at its EOF
        control.send(b"E" + message.encode())


def _child(control: socket.socket, child_fd: int, wake: tuple[int, int], workdir: Path) -> None:
    """In the fork: lead a process group of its own with `workdir` as its temporary folder,
    drop the zygote's descriptors and signal set-up, serve, never return. On the way out it
    removes its folder, and when the zygote is gone ends what it started (`child.leave`)."""
    code = 0
    zygote = os.getppid()
    try:
        os.setpgid(0, 0)
        os.environ["TMPDIR"] = str(workdir)  # what it runs writes its temporary files there
        tempfile.tempdir = str(workdir)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        control.close()
        for descriptor in wake:
            os.close(descriptor)
        from workers.isolation.child import main as child_main

        child_main(child_fd, workdir)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        _leave(workdir, orphaned=os.getppid() != zygote)
        os._exit(code)


def _leave(workdir: Path, *, orphaned: bool) -> None:
    """`child.leave`, imported here (it is preloaded) so that nothing can raise past the
    fork's `os._exit`; the folder goes even if the import failed."""
    try:
        from workers.isolation.child import leave
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        return
    leave(workdir, orphaned=orphaned)


def _report_exits(control: socket.socket, children: dict[int, Path]) -> None:
    while (reaped := _reap_one(children)) is not None:
        pid, code = reaped
        with contextlib.suppress(OSError):  # the worker hung up: nobody to tell
            control.send(b"X" + _EXIT.pack(pid, code))


def _drain(descriptor: int) -> bool:
    try:
        return bool(os.read(descriptor, 512))
    except BlockingIOError:
        return False


def _ignore(signum: int, frame: object) -> None:
    del signum, frame
