"""The embedded default under failure: a document whose chunking blows up fails alone, a
kill -9 of `greenhouse ingest` is resumed at once by the next run, and progress shows as plain
lines when the output is not a terminal (real `greenhouse ingest` subprocesses on SQLite)."""

import io
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cli.report import plural
from schemas.document_options import DocumentOptions
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory, transaction
from storage.documents import claim_for_chunking
from storage.intake import take_in
from storage.migrate import upgrade_to_head
from storage.models import Document, Extraction, Job
from tests.support.cli import reports_by_name
from tests.support.documents import make_text_pdf
from tests.support.poisoned_ingest import POISON_MESSAGE, poison
from tests.support.workers import REPO_ROOT, worker_environment

LEASE_SECONDS = 300.0
PROGRESS_LINE = re.compile(r"^(chunked \d+/\d+ documents|jobs \d+/\d+ done)$")


def _command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _run(settings: Settings, command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=worker_environment(settings),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _progress_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if PROGRESS_LINE.match(line)]


def test_a_batch_goes_on_when_one_documents_chunking_raises(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    make_text_pdf(folder / "a.pdf", 3)
    make_text_pdf(folder / "b-poisoned.pdf", 2)
    poison(folder / "b-poisoned.pdf")
    make_text_pdf(folder / "c.pdf", 4)
    result = _run(
        sqlite_settings,
        _command("tests.support.poisoned_ingest", str(folder), "--json", "--processes", "2"),
    )
    assert result.returncode == 1, result.stderr  # exits normally: one document failed
    reports = reports_by_name(result.stdout)
    assert set(reports) == {"a.pdf", "b-poisoned.pdf", "c.pdf"}
    assert (reports["a.pdf"]["status"], reports["a.pdf"]["jobs"]["succeeded"]) == ("done", 3)
    assert (reports["c.pdf"]["status"], reports["c.pdf"]["jobs"]["succeeded"]) == ("done", 4)
    poisoned = reports["b-poisoned.pdf"]
    assert poisoned["status"] == "failed"
    assert poisoned["jobs"]["total"] == 0
    assert poisoned["error"] == {
        "category": "internal",
        "message": f"unexpected TypeError: {POISON_MESSAGE} (chunking attempt 3 of 3)",
    }
    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    with transaction(sessions) as session:
        attempts = session.scalar(select(Document.attempts).where(Document.id == poisoned["id"]))
    assert attempts == 3
    # Progress as plain lines on a pipe: every document chunked, every job done, at the end.
    lines = _progress_lines(result.stderr)
    assert lines[-1] == "jobs 7/7 done"
    assert "chunked 3/3 documents" in lines
    assert "\r" not in result.stderr

    # Run again: the failed document is not chunked again, the others are duplicates.
    again = _run(sqlite_settings, _command("cli.main", "ingest", str(folder), "--json"))
    assert reports_by_name(again.stdout)["b-poisoned.pdf"]["status"] == "failed"
    with transaction(sessions) as session:
        assert session.scalar(select(Document.attempts).where(Document.id == poisoned["id"])) == 3


def _counts(database: Path, query: str) -> int:
    """A count from the ledger as it is now (0 before the first run created the tables)."""
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        try:
            return int(connection.execute(query).fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _kill_mid_run(
    settings: Settings, folder: Path, database: Path, whole_group: bool, temporary: Path
) -> int:
    """Start an ingest (its temporary files in `temporary`), kill -9 it while jobs run (some
    done, some in flight: a run's completions are settled together, so right after two runs
    settle none may be); returns its pid."""
    process = subprocess.Popen(
        _command("cli.main", "ingest", str(folder), "--json"),
        cwd=REPO_ROOT,
        env={**worker_environment(settings), "TMPDIR": str(temporary)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            if (
                database.exists()
                and _counts(database, "SELECT count(*) FROM jobs WHERE state = 'succeeded'") >= 5
                and _counts(database, "SELECT count(*) FROM jobs WHERE state = 'running'") >= 1
            ):
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the first run never got going")
    finally:
        if whole_group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return process.pid


def _live_members(pgid: int) -> list[int]:
    """Processes of a process group that still run (zombies waiting to be reaped do not)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


def _group_is_gone(pgid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while _live_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _children_gone(temporary: Path, within: float) -> bool:
    deadline = time.monotonic() + within
    while any(temporary.glob("greenhouse-child-*")):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize("whole_group", [True, False], ids=["group", "process"])
def test_after_a_kill_9_the_next_run_resumes_at_once(
    tmp_path: Path, blob_root: Path, whole_group: bool
) -> None:
    database = tmp_path / "greenhouse.db"
    settings = Settings(
        database_url=f"sqlite:///{database}",
        blob_root=str(blob_root),
        lease_seconds=LEASE_SECONDS,
    )
    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(3):
        make_text_pdf(folder / f"doc{number}.pdf", 30, table_on_every_page=True)

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    pid = _kill_mid_run(settings, folder, database, whole_group, temporary)
    # Its pool processes do not outlive it: killed with it, or gone by themselves. Its
    # isolated children lead groups of their own; each removes its temporary folder as it
    # ends, with whatever it started.
    assert _group_is_gone(pid, within=10)
    assert _children_gone(temporary, within=10)
    held_jobs = _counts(
        database,
        f"SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner LIKE '%/{pid}/%'",
    )
    held_documents = _counts(
        database,
        f"SELECT count(*) FROM documents WHERE status = 'queued' AND lease_owner LIKE '%/{pid}/%'",
    )

    if whole_group:  # killed with its pool: the jobs in flight keep their 300 s leases
        assert held_jobs + held_documents >= 1
    started = time.monotonic()
    rerun = _run(settings, _command("cli.main", "ingest", str(folder), "--json"))
    elapsed = time.monotonic() - started
    assert rerun.returncode == 0, rerun.stderr
    reports = reports_by_name(rerun.stdout)
    assert [reports[f"doc{n}.pdf"]["status"] for n in range(3)] == ["done"] * 3
    assert all(report["jobs"]["succeeded"] == 30 for report in reports.values())
    # Nothing waited for the 300 s leases of the dead run.
    assert elapsed < LEASE_SECONDS / 3, elapsed
    if held_jobs or held_documents:
        assert (
            f"resumed {plural(held_jobs, 'job')} and {plural(held_documents, 'document')} left "
            f"by an embedded run that stopped (pid {pid})"
        ) in rerun.stderr
    sessions = make_session_factory(make_engine(settings.database_url))
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Extraction)) == 90
        unfinished = select(func.count()).select_from(Job).where(Job.state != "succeeded")
        assert session.scalar(unfinished) == 0


def test_a_document_held_by_a_live_run_is_explained_not_taken(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "busy.pdf"
    make_text_pdf(path, 2)
    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    upgrade_to_head(make_engine(sqlite_settings.database_url))
    intake = take_in(
        sessions,
        BlobStore(Path(sqlite_settings.blob_root)),
        io.BytesIO(path.read_bytes()),
        filename=path.name,
        collection=DocumentOptions().collection,
        options=DocumentOptions().stored(),
    )
    # This test's own process stands for another embedded run on this host, alive and chunking.
    owner = f"embedded/{socket.gethostname()}/{os.getpid()}/other-run"
    with transaction(sessions) as session:
        assert claim_for_chunking(session, intake.document.id, owner, 300, max_attempts=3) == 1
    result = _run(sqlite_settings, _command("cli.main", "ingest", str(path), "--json"))
    assert result.returncode == 1
    assert reports_by_name(result.stdout)["busy.pdf"]["status"] == "queued"
    assert "resumed" not in result.stderr
    explanation = re.search(
        r"1 document not finished:\n  0 jobs and 1 document are held by another live process "
        r"\((?P<owner>[^)]+)\) until (?P<until>[\d-]+ [\d:]+) UTC at the latest; run again when it "
        r"has finished or its leases have expired\n",
        result.stderr,
    )
    assert explanation is not None, result.stderr
    assert explanation["owner"] == owner
    with transaction(sessions) as session:
        document = session.get(Document, intake.document.id)
        assert document is not None
        assert (document.lease_owner, document.attempts) == (owner, 1)
