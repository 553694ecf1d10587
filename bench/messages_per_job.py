"""Messages sent per job and per document in a fault-free distributed batch (goal: 1.0).

Run on demand from the repository root (about a minute at the defaults):

    .venv/bin/python bench/messages_per_job.py [--documents 10] [--pages 40]
        [--stale-seconds 2] [--workers 2] [--run-pages 16]

A private redis-server (a free port; never the shared one) counts the LPUSH commands it runs:
Celery's Redis transport sends every task message as one LPUSH. `greenhouse worker` processes
(supervised Celery workers, `--concurrency 1` each) chunk and run a batch of generated
multi-page PDFs on PostgreSQL (found or started like the tests do). The stale interval is
short, so the batch waits in the queues many times longer than it: the old sweep re-sent every
queued job each interval. The figure is the LPUSHes from the first send to a few sweeps after
the last document finished, divided by the messages the batch needs (one per document to chunk
it, one per job run and one per job outside a run; `--run-pages 1`: one per job).
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, select

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.migrate import upgrade_to_head
from storage.models import Document, Job
from tests.support.batches import submit_pdf_batch
from tests.support.private_redis import PrivateRedis
from tests.support.services import create_database, drop_database, postgres_server
from tests.support.workers import REPO_ROOT, worker_environment

TIMEOUT_SECONDS = 1800.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--stale-seconds", type=float, default=2.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--run-pages", type=int, default=Settings().local_run_pages)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="greenhouse-messages-") as scratch:
        root = Path(scratch)
        broker = PrivateRedis(root)
        broker.start()
        try:
            with postgres_server() as server:
                name = f"greenhouse_bench_{uuid.uuid4().hex[:8]}"
                database_url = create_database(server, name)
                try:
                    run(arguments, root, broker, database_url)
                finally:
                    drop_database(server, name)
        finally:
            broker.kill()


def run(arguments: argparse.Namespace, root: Path, broker: PrivateRedis, database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    settings = Settings(
        database_url=database_url,
        broker_url=broker.url,
        blob_root=str(root / "blobs"),
        reaper_interval_seconds=1.0,
        stale_queued_seconds=arguments.stale_seconds,
        local_run_pages=arguments.run_pages,
    )
    workers = [_start_worker(settings, root, index) for index in range(arguments.workers)]
    try:
        before = broker.lpush_calls()
        started = time.monotonic()
        document_ids = submit_pdf_batch(settings, root, arguments.documents, arguments.pages, "b")
        _wait_done(engine, document_ids)
        took = time.monotonic() - started
        time.sleep(3 * settings.reaper_interval_seconds)
        sent = broker.lpush_calls() - before
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    with transaction(make_session_factory(engine)) as session:
        jobs = int(session.scalar(select(func.count()).select_from(Job)) or 0)
        runs = int(session.scalar(select(func.count(func.distinct(Job.run_id)))) or 0)
        alone = int(session.scalar(select(func.count()).where(Job.run_id.is_(None))) or 0)
    needed = len(document_ids) + runs + alone
    print(
        f"{len(document_ids)} documents, {jobs} jobs ({runs} runs of up to "
        f"{arguments.run_pages} pages, {alone} jobs alone) in {took:.1f} s "
        f"({took / arguments.stale_seconds:.0f} stale intervals of {arguments.stale_seconds:g} s) "
        f"with {arguments.workers} workers: {sent} messages sent for {needed} needed; "
        f"messages per message needed: {sent / needed:.3f} (goal 1.0), per job "
        f"{sent / jobs:.3f}, wall per job {1000 * took / jobs:.1f} ms"
    )


def _start_worker(settings: Settings, root: Path, index: int) -> subprocess.Popen[bytes]:
    log = (root / f"worker-{index}.log").open("wb")
    command = [sys.executable, "-m", "cli.main", "worker", "--queues", "ingest,local"]
    command += ["--concurrency", "1", "--name", f"bench{index}-{os.getpid()}@%h"]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=worker_environment(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while " ready." not in (root / f"worker-{index}.log").read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((root / f"worker-{index}.log").read_text(errors="replace"))
        time.sleep(0.2)
    return process


def _wait_done(engine: Engine, document_ids: list[str]) -> None:
    sessions = make_session_factory(engine)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with transaction(sessions) as session:
            unfinished = session.scalar(
                select(func.count()).where(
                    Document.id.in_(document_ids), Document.status.in_(["queued", "processing"])
                )
            )
        if not unfinished:
            return
        time.sleep(0.3)
    raise RuntimeError("the batch did not finish")


if __name__ == "__main__":
    main()
