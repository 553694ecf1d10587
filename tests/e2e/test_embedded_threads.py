"""An embedded batch large enough for two workers runs them as threads of `greenhouse ingest`,
each with a child forked by its zygote (no spawned pool process), and a segfault in one child
still costs one job."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.models import Job
from tests.support.cli import reports_by_name
from tests.support.documents import make_text_pdf
from tests.support.workers import REPO_ROOT, worker_environment
from workers.embedded_pool import pool_size
from workers.isolation.hooks import hook_marker

pytestmark = pytest.mark.slow

PAGES = 10


def test_two_thread_workers_share_the_runs_zygote(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    make_text_pdf(folder / "good.pdf", PAGES)
    make_text_pdf(folder / "crash.pdf", PAGES)
    with (folder / "crash.pdf").open("ab") as stream:
        stream.write(hook_marker("segfault", "seq-3"))
    assert pool_size(2 * PAGES, 2, isolated=True) == 2  # 20 jobs: two thread workers
    settings = sqlite_settings.model_copy(update={"test_hooks": True, "max_attempts": 2})
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", str(folder), "--json", "--processes", "2"],
        cwd=REPO_ROOT,
        env=worker_environment(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    spawned, most_children = _watch(process.pid, process)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 1, stderr  # crash.pdf is partial
    assert spawned == []  # no pool process, no multiprocessing helper
    # The chunking child, reused by one thread, and one more forked for the other thread
    # (only one when a thread finished its run before the other took a child): never a child
    # per job, never more than the workers.
    assert most_children in (1, 2)

    reports = reports_by_name(stdout)
    assert (reports["good.pdf"]["status"], reports["good.pdf"]["jobs"]["succeeded"]) == (
        "done",
        PAGES,
    )
    crash = reports["crash.pdf"]
    assert (crash["status"], crash["jobs"]["succeeded"], crash["jobs"]["failed"]) == (
        "partial",
        PAGES - 1,
        1,
    )
    sessions = make_session_factory(make_engine(settings.database_url))
    with transaction(sessions) as session:
        failed = session.execute(
            select(Job.seq, Job.error_category, Job.attempts).where(Job.state == "failed")
        ).all()
    assert [tuple(row) for row in failed] == [(3, "crashed", 2)]


def _watch(pid: int, process: subprocess.Popen[str]) -> tuple[list[str], int]:
    """Until `process` exits: the command lines of descendants that are not the zygote or its
    children, and the most children the zygote had at once."""
    others: list[str] = []
    most = 0
    deadline = time.monotonic() + 300
    while process.poll() is None and time.monotonic() < deadline:
        for child in _children(pid):
            command = _command(child)
            if "workers.isolation.zygote" in command:
                most = max(most, len(_children(child)))
            elif command and command not in others:
                others.append(command)
        time.sleep(0.02)
    return others, most


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return found
    for task in tasks:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except FileNotFoundError:
        return ""
