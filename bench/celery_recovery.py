"""Recovery after a kill -9 of a Celery worker under `greenhouse worker`, at default settings.

Run on demand from the repository root (not a test; about two minutes):

    .venv/bin/python bench/celery_recovery.py [--documents 3] [--pages 40]

A supervised `greenhouse worker` (queues ingest,local, concurrency 2) runs against a private
redis-server and a fresh PostgreSQL database, with the default `LEASE_SECONDS` (300),
`REAPER_INTERVAL_SECONDS` (30) and `BROKER_VISIBILITY_TIMEOUT` (3600). A batch of generated
native PDFs is processed once uninterrupted (the baseline), then again with the Celery worker
and its pool killed with SIGKILL (the OOM killer's way) once a few jobs of the batch have
succeeded. Printed, as ratios to the baseline measured in the same run:

- restart: until the supervisor's new Celery worker is ready;
- held back: until no job is leased by a dead pool process any more (the reaper's take-over);
- batch: from the kill until every document is done.

Without the take-over, the jobs the dead pool processes held waited out their 300 s lease.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.migrate import upgrade_to_head
from storage.models import Document, Job
from tests.support.batches import submit_pdf_batch
from tests.support.private_redis import PrivateRedis
from tests.support.services import create_database, drop_database, postgres_server
from tests.support.workers import REPO_ROOT, worker_environment

STARTED = re.compile(r"celery worker started \(pid (\d+)\)")
POLL_SECONDS = 0.1


def _count(settings: Settings, query: object) -> int:
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            return int(session.scalar(query) or 0)  # type: ignore[call-overload]
    finally:
        engine.dispose()


def _running_owners(settings: Settings, ids: list[str]) -> list[str]:
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            query = select(Job.lease_owner).where(Job.document_id.in_(ids), Job.state == "running")
            return [owner for owner in session.scalars(query) if owner]
    finally:
        engine.dispose()


def _all_done(settings: Settings, ids: list[str]) -> bool:
    query = select(func.count()).where(Document.id.in_(ids), Document.status == "done")
    return _count(settings, query) == len(ids)


def _wait(condition: object, what: str, seconds: float = 900) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > seconds:
            raise TimeoutError(what)
        time.sleep(POLL_SECONDS)
    return time.monotonic() - started


def _log(path: Path) -> str:
    return path.read_text(errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=3)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--kill-after-jobs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, postgres_server() as server_url:
        root = Path(scratch)
        database = f"greenhouse_recovery_{uuid.uuid4().hex[:8]}"
        redis = PrivateRedis(root)
        redis.start()
        settings = Settings(
            database_url=create_database(server_url, database),
            broker_url=redis.url,
            blob_root=str(root / "blobs"),
        )
        upgrade_to_head(make_engine(settings.database_url))
        log_path = root / "worker.log"
        command = [sys.executable, "-m", "cli.main", "worker", "--queues", "ingest,local"]
        command += ["--concurrency", "2"]
        with log_path.open("wb") as log_file:
            worker = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=worker_environment(settings),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait(lambda: " ready." in _log(log_path), "the worker did not start", 120)
            ids = submit_pdf_batch(settings, root, args.documents, args.pages, "baseline")
            baseline = _wait(lambda: _all_done(settings, ids), "baseline batch")

            ids = submit_pdf_batch(settings, root, args.documents, args.pages, "killed")
            succeeded = select(func.count()).where(
                Job.document_id.in_(ids), Job.state == "succeeded"
            )
            _wait(lambda: _count(settings, succeeded) >= args.kill_after_jobs, "first jobs")
            (first,) = [int(pid) for pid in STARTED.findall(_log(log_path))]
            os.killpg(first, signal.SIGKILL)
            killed_at = time.monotonic()
            owners = _running_owners(settings, ids)
            held = len(owners)
            dead_leases = select(func.count()).where(
                Job.state == "running", Job.lease_owner.in_(owners)
            )
            restart = _wait(lambda: _log(log_path).count(" ready.") >= 2, "restart", 120)
            _wait(lambda: _count(settings, dead_leases) == 0, "take-over")
            held_back = time.monotonic() - killed_at
            _wait(lambda: _all_done(settings, ids), "killed batch")
            batch = time.monotonic() - killed_at
        finally:
            worker.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=30)
            if worker.poll() is None:
                worker.kill()
            for pid in STARTED.findall(_log(log_path)):
                with suppress(ProcessLookupError):
                    os.killpg(int(pid), signal.SIGKILL)
            redis.kill()
            drop_database(server_url, database)
    jobs = args.documents * args.pages
    print(f"batch: {args.documents} documents x {args.pages} pages = {jobs} jobs")
    print(f"baseline, uninterrupted: {baseline:.1f} s")
    print(f"killed after {args.kill_after_jobs}+ jobs; jobs running at the kill: {held}")
    print(f"restart (new Celery worker ready): {restart:.1f} s after the kill")
    print(f"held back (no lease of a dead pool process left): {held_back:.1f} s after the kill")
    print(f"batch done: {batch:.1f} s after the kill = {batch / baseline:.2f} x the baseline")


if __name__ == "__main__":
    main()
