"""Recovery after a kill -9 of an embedded `greenhouse ingest`, at the default settings.

Run on demand from the repository root (not a test; about a minute at the defaults):

    .venv/bin/python bench/embedded_recovery.py [--documents 3] [--pages 40] [--out FILE]

A generated batch of native-text PDFs (a ruled table on every page) is ingested on SQLite with
the default settings (`LEASE_SECONDS` 300) by `greenhouse ingest` in its own process group,
which is killed with SIGKILL, pool processes included, once a few jobs have succeeded; then
`greenhouse ingest` runs again on the same folder. Figures, from the re-run's start:

- held: the jobs and documents whose leases the dead run still held;
- take-over: until none of them is leased by the dead run any more;
- held done: until every job the dead run held has succeeded;
- re-run: the whole re-run (exit code, documents done), and the same batch uninterrupted,
  measured in the same run, as the baseline.

Without the take-over, the held jobs waited out their lease (300 s) and a re-run meanwhile
exited 1 with the documents still `processing`.
"""

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.settings import Settings
from tests.support.documents import make_text_pdf
from tests.support.workers import REPO_ROOT, worker_environment

POLL_SECONDS = 0.05


def _count(database: Path, query: str, *parameters: Any) -> int:
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        try:
            return int(connection.execute(query, parameters).fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _ingest(settings: Settings, folder: Path, **popen: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", str(folder), "--json"],
        cwd=REPO_ROOT,
        env=worker_environment(settings),
        text=True,
        **popen,
    )


def _settings(root: Path, name: str) -> tuple[Settings, Path]:
    database = root / f"{name}.db"
    return Settings(database_url=f"sqlite:///{database}", blob_root=str(root / name)), database


def _uninterrupted(root: Path, folder: Path) -> float:
    settings, _ = _settings(root, "baseline")
    started = time.monotonic()
    process = _ingest(settings, folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if process.wait() != 0:
        raise RuntimeError("the uninterrupted run failed")
    return time.monotonic() - started


def _kill_mid_run(settings: Settings, folder: Path, database: Path, after_jobs: int) -> int:
    process = _ingest(
        settings,
        folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    query = "SELECT count(*) FROM jobs WHERE state = 'succeeded'"
    while _count(database, query) < after_jobs:
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the first run did not get going")
        time.sleep(POLL_SECONDS)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return process.pid


def measure(documents: int, pages: int, after_jobs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="greenhouse-recovery-") as tmp:
        root = Path(tmp)
        folder = root / "in"
        folder.mkdir()
        for number in range(documents):
            make_text_pdf(folder / f"doc{number}.pdf", pages, table_on_every_page=True)
        baseline = _uninterrupted(root, folder)
        settings, database = _settings(root, "killed")
        pid = _kill_mid_run(settings, folder, database, after_jobs)
        pattern = f"%/{pid}/%"
        held_jobs = _held_jobs(database, pattern)
        held_documents = _count(
            database,
            "SELECT count(*) FROM documents WHERE status = 'queued' AND lease_owner LIKE ?",
            pattern,
        )
        started = time.monotonic()
        rerun = _ingest(settings, folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        taken_over = held_done = None
        marks = ",".join("?" * len(held_jobs)) or "''"
        while rerun.poll() is None:
            now = time.monotonic() - started
            if taken_over is None and not _count(
                database,
                "SELECT (SELECT count(*) FROM jobs WHERE lease_owner LIKE ?)"
                " + (SELECT count(*) FROM documents WHERE lease_owner LIKE ?)",
                pattern,
                pattern,
            ):
                taken_over = now
            if held_done is None and not _count(
                database,
                f"SELECT count(*) FROM jobs WHERE id IN ({marks}) AND state != 'succeeded'",
                *held_jobs,
            ):
                held_done = now
            time.sleep(POLL_SECONDS)
        total = time.monotonic() - started
        stdout, stderr = rerun.communicate()
        reports = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        return {
            "documents": documents,
            "pages": pages,
            "killed_after_jobs": after_jobs,
            "lease_seconds": settings.lease_seconds,
            "held_jobs": len(held_jobs),
            "held_documents": held_documents,
            "take_over_seconds": taken_over,
            "held_done_seconds": held_done,
            "rerun_seconds": round(total, 2),
            "rerun_exit_code": rerun.returncode,
            "rerun_documents_done": sum(report["status"] == "done" for report in reports),
            "uninterrupted_seconds": round(baseline, 2),
            "rerun_note": next((line for line in stderr.splitlines() if "resumed" in line), None),
        }


def _held_jobs(database: Path, pattern: str) -> list[str]:
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        rows = connection.execute(
            "SELECT id FROM jobs WHERE state = 'running' AND lease_owner LIKE ?", (pattern,)
        )
        return [row[0] for row in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--kill-after-jobs", type=int, default=10)
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args()
    figures = measure(arguments.documents, arguments.pages, arguments.kill_after_jobs)
    for name, value in figures.items():
        print(f"{name:>24}: {value}")
    if arguments.out:
        arguments.out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["rerun_exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
