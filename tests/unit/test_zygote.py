"""The zygote forks isolated children: how they exit is reported (a signal as -N), they are
killed through their pidfd, none outlives the worker, the pool or the zygote, and nothing a
child started (a process, a temporary file) outlives the child."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn

import pytest

from schemas.enums import ErrorCategory
from schemas.settings import Settings
from tests.support.documents import make_text_pdf
from tests.support.workers import REPO_ROOT
from tests.unit.test_isolation import _page_job
from workers.isolation.hooks import hook_marker
from workers.isolation.messages import IsolationError
from workers.isolation.pool import IsolationPool
from workers.isolation.zygote import OCR_MODULES, ForkedProcess, Zygote

pytestmark = pytest.mark.slow


@pytest.fixture
def zygote() -> Iterator[Zygote]:
    started = Zygote()
    started.wait_ready(120)
    yield started
    started.close()


def _fork(zygote: Zygote) -> tuple[ForkedProcess, socket.socket]:
    ours, theirs = socket.socketpair()
    with theirs:
        return zygote.fork(theirs, 60), ours


def test_exit_codes_come_from_the_zygote(zygote: Zygote) -> None:
    crashed, first = _fork(zygote)
    killed, second = _fork(zygote)
    hung_up, third = _fork(zygote)
    assert _parent(crashed.pid) == zygote.process.pid
    os.kill(crashed.pid, signal.SIGSEGV)
    assert crashed.wait(10) == -signal.SIGSEGV
    assert killed.poll() is None
    killed.kill()
    assert killed.wait(10) == -signal.SIGKILL
    third.close()  # EOF before the settings: the child returns and exits cleanly
    assert hung_up.wait(10) == 0
    killed.kill()  # its pidfd is closed: nothing is signalled any more
    for each in (first, second):
        each.close()


def test_a_zygote_preloads_ocr_on_request_and_stays_single_threaded() -> None:
    plain, warm = Zygote(), Zygote(preload=OCR_MODULES)
    try:
        for each in (plain, warm):
            each.wait_ready(120)
        assert not _maps_opencv(plain.process.pid)
        assert _maps_opencv(warm.process.pid)  # RapidOCR's module imports OpenCV
        assert os.listdir(f"/proc/{warm.process.pid}/task") == [str(warm.process.pid)]
        child, end = _fork(warm)  # the zygote forks only when it is alone
        assert _maps_opencv(child.pid)
        end.close()
        assert child.wait(10) == 0
    finally:
        plain.close()
        warm.close()


def test_a_long_lived_workers_pool_keeps_preloading_ocr_in_a_new_zygote(tmp_path: Path) -> None:
    pdf = tmp_path / "one.pdf"
    make_text_pdf(pdf, 1)
    pool = IsolationPool(Settings())
    try:
        pool.prestart(preload_ocr=True)
        first = _one_zygote_of(os.getpid())
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _exists(first) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.run_chunk(_page_job(pdf, 0)).data["text"]  # through a new zygote
        second = _one_zygote_of(os.getpid())
        assert second != first
        assert _maps_opencv(second)
    finally:
        pool.close()


def test_a_pool_closed_before_its_zygote_is_ready_leaves_no_traceback() -> None:
    script = (
        "from schemas.settings import Settings; "
        "from workers.isolation.pool import IsolationPool; "
        "pool = IsolationPool(Settings()); pool.prestart(); pool.close()"
    )
    closed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert closed.returncode == 0
    assert closed.stderr == ""  # the zygote's stderr too: it ends quietly when hung up


def _one_zygote_of(pid: int) -> int:
    """The one zygote `pid` has (the kernel's list of children can lag a moment)."""
    deadline = time.monotonic() + 10
    while True:
        zygotes = [child for child in _children(pid) if _is_zygote(child) and _exists(child)]
        if len(zygotes) == 1 or time.monotonic() > deadline:
            (zygote,) = zygotes
            return zygote
        time.sleep(0.05)


def _maps_opencv(pid: int) -> bool:
    return "cv2" in Path(f"/proc/{pid}/maps").read_text()


def test_closing_the_pool_ends_its_children_and_zygote(tmp_path: Path) -> None:
    pdf = tmp_path / "two.pdf"
    make_text_pdf(pdf, 2)
    pool = IsolationPool(Settings())
    assert pool.run_chunk(_page_job(pdf, 0)).data["text"]
    zygote = [pid for pid in _children(os.getpid()) if _is_zygote(pid)]
    assert len(zygote) == 1
    (child,) = _children(zygote[0])
    pool.close()
    assert not _exists(child)
    assert not _exists(zygote[0])


def test_a_hung_child_and_its_zygote_do_not_outlive_the_worker(tmp_path: Path) -> None:
    path = tmp_path / "hang.pdf"
    make_text_pdf(path, 1)
    with path.open("ab") as stream:
        stream.write(hook_marker("hang", "seq-0"))
    script = (
        "import sys; from pathlib import Path; "
        "from tests.unit.test_isolation import _page_job; "
        "from schemas.settings import Settings; "
        "from workers.isolation.pool import IsolationPool; "
        "pool = IsolationPool(Settings(test_hooks=True)); "
        "pool.run_chunk(_page_job(Path(sys.argv[1]), 0))"
    )
    worker = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=REPO_ROOT)
    try:
        zygote, child = _wait_for_grandchild(worker.pid)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (_exists(child) or _exists(zygote)):
            time.sleep(0.1)
        assert not _exists(child)
        assert not _exists(zygote)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def _wait_for_grandchild(pid: int) -> tuple[int, int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for zygote in filter(_is_zygote, _children(pid)):
            grandchildren = _children(zygote)
            if grandchildren:
                time.sleep(2)  # set up, and hung on its request
                return zygote, grandchildren[0]
        time.sleep(0.1)
    raise AssertionError("the worker started no isolated child")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _is_zygote(pid: int) -> bool:
    try:
        return b"workers.isolation.zygote" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def _exists(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


@pytest.fixture
def temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder of the zygotes started now, where their children's folders go."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))  # a zygote inherits the environment
    return folder


def _child_folders(root: Path) -> list[Path]:
    return sorted(root.glob("greenhouse-child-*"))


def _spawning_pdf(path: Path) -> Path:
    make_text_pdf(path, 2)
    with path.open("ab") as stream:
        stream.write(hook_marker("spawn", "seq-0"))
    return path


def _until(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _the_zygote() -> int:
    (zygote,) = [pid for pid in _children(os.getpid()) if _is_zygote(pid)]
    return zygote


def _warm_child(pool: IsolationPool, path: Path, temporary: Path) -> tuple[int, Path]:
    """Run page 2 of `path` (no hook) in the pool's child: the child's pid and folder."""
    assert pool.run_chunk(_page_job(path, 1)).data["text"]
    (child,) = _children(_the_zygote())
    (folder,) = _child_folders(temporary)
    return child, folder


def test_a_child_leads_its_own_group_and_its_temporary_folder_goes_when_it_ends(
    tmp_path: Path, temporary: Path
) -> None:
    pdf = tmp_path / "two.pdf"
    make_text_pdf(pdf, 2)
    pool = IsolationPool(Settings())
    try:
        child, folder = _warm_child(pool, pdf, temporary)
        assert os.getpgid(child) == child
    finally:
        pool.close()
    assert not _exists(child)
    assert not folder.exists()
    assert _child_folders(temporary) == []


def test_a_child_killed_at_its_deadline_takes_what_it_started_and_its_files_with_it(
    tmp_path: Path, temporary: Path
) -> None:
    path = _spawning_pdf(tmp_path / "spawn.pdf")
    pool = IsolationPool(Settings(test_hooks=True, job_deadline_seconds=4.0))
    try:
        child, folder = _warm_child(pool, path, temporary)
        with ThreadPoolExecutor(1) as runner:
            killed = runner.submit(pool.run_chunk, _page_job(path, 0))
            assert _until(lambda: bool(_children(child)) and any(folder.iterdir()))
            (sleeper,) = _children(child)
            (left,) = folder.iterdir()
            assert left.name.startswith("greenhouse-test-hook-")  # written in its own folder
            with pytest.raises(IsolationError) as raised:
                killed.result(60)
        assert raised.value.category is ErrorCategory.TIMEOUT
        assert _until(lambda: not _exists(sleeper))
        assert _until(lambda: not folder.exists())
        assert pool.run_chunk(_page_job(path, 1)).data["text"]  # a new child, a new folder
        assert len(_child_folders(temporary)) == 1
    finally:
        pool.close()
    assert _child_folders(temporary) == []


def test_an_orphaned_child_ends_what_it_started_and_removes_its_folder(
    tmp_path: Path, temporary: Path
) -> None:
    path = _spawning_pdf(tmp_path / "spawn.pdf")
    pool = IsolationPool(Settings(test_hooks=True, job_deadline_seconds=60.0))
    try:
        child, folder = _warm_child(pool, path, temporary)
        zygote = _the_zygote()
        with ThreadPoolExecutor(1) as runner:
            orphaned = runner.submit(pool.run_chunk, _page_job(path, 0))
            assert _until(lambda: bool(_children(child)))
            (sleeper,) = _children(child)
            os.kill(zygote, signal.SIGKILL)  # nobody left to clean up after the child
            assert _until(lambda: not _exists(child))
            assert _until(lambda: not _exists(sleeper))
            assert _until(lambda: not folder.exists())
            with pytest.raises(IsolationError):
                orphaned.result(60)
    finally:
        pool.close()


@pytest.mark.parametrize("failing", ["mkdtemp", "fork"])
def test_a_fork_the_zygote_cannot_make_is_refused_and_the_zygote_goes_on(
    failing: str, monkeypatch: pytest.MonkeyPatch, temporary: Path
) -> None:
    """Run in this process: the zygote's answer to a fork request when there is no room for
    a child's folder, or no process to be had (the zygote itself would have died of it)."""
    from workers.isolation import zygote as zygote_module

    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # this process's, not a zygote's
    monkeypatch.setattr(os, "listdir", lambda path: ["1"])  # a single thread
    monkeypatch.setattr(tempfile if failing == "mkdtemp" else os, failing, refuse)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child_end, _ = socket.socketpair()
    children: dict[int, Path] = {}
    with ours, theirs:
        zygote_module._fork_child(theirs, child_end.detach(), (-1, -1), children)
        answer = ours.recv(4096)
    assert answer.startswith(b"E")
    assert b"No space left on device" in answer
    assert children == {}
    assert _child_folders(temporary) == []  # a folder made for a fork that failed is removed
