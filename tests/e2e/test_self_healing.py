"""`greenhouse worker` heals itself: a Redis outage with tasks in flight, and its Celery worker
killed outright, both end with the batch finished and no person involved."""

import math
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from schemas.settings import Settings
from storage.database import make_session_factory, transaction
from storage.models import Document, Extraction, Job
from tests.support.batches import submit_pdf_batch
from tests.support.private_redis import PrivateRedis
from tests.support.workers import REPO_ROOT, worker_environment
from workers.broker_memory import MARKER_KEY

pytestmark = pytest.mark.slow

DOCUMENTS = 4
PAGES = 25
FINISH_SECONDS = 240
OUTAGE_SECONDS = 12
STARTED = re.compile(r"celery worker started \(pid (\d+)\)")


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def settings(postgres_engine: Engine, private_redis: PrivateRedis, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=private_redis.url,
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=3,
        reaper_interval_seconds=1,
        broker_visibility_timeout=5,
        stale_queued_seconds=5,
    )


@dataclass
class SupervisedWorker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def celery_pids(self) -> list[int]:
        return [int(pid) for pid in STARTED.findall(self.log())]


@contextmanager
def greenhouse_worker(settings: Settings, log_dir: Path) -> Iterator[SupervisedWorker]:
    """`greenhouse worker` in its own session; waits until its Celery worker consumes."""
    log_path = log_dir / f"greenhouse-worker-{uuid.uuid4().hex[:6]}.log"
    command = [sys.executable, "-m", "cli.main", "worker", "--queues", "ingest,local"]
    command += ["--concurrency", "2", "--name", f"heal-{uuid.uuid4().hex[:6]}@%h"]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=worker_environment(settings),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = SupervisedWorker(process, log_path)
    try:
        _wait_for_log(worker, " ready.", 1)
        yield worker
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in worker.celery_pids():  # each Celery worker leads its own process group
            with suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)


def _wait_for_log(worker: SupervisedWorker, text: str, times: int) -> None:
    deadline = time.monotonic() + 90
    while worker.log().count(text) < times:
        assert worker.process.poll() is None, f"greenhouse worker exited:\n{worker.log()}"
        assert time.monotonic() < deadline, f"no {text!r} x{times} in:\n{worker.log()}"
        time.sleep(0.2)


def _count_jobs(engine: Engine, state: str) -> int:
    with transaction(make_session_factory(engine)) as session:
        return int(session.scalar(select(func.count()).where(Job.state == state)) or 0)


def _wait_until_all_done(engine: Engine, document_ids: list[str], worker: SupervisedWorker) -> None:
    sessions = make_session_factory(engine)
    deadline = time.monotonic() + FINISH_SECONDS
    while True:
        with transaction(sessions) as session:
            statuses = session.scalars(
                select(Document.status).where(Document.id.in_(document_ids))
            ).all()
        if len(statuses) == len(document_ids) and set(statuses) == {"done"}:
            return
        assert time.monotonic() < deadline, f"not finished: {statuses}\n{worker.log()[-4000:]}"
        time.sleep(0.3)


def _assert_every_page_once(engine: Engine, document_ids: list[str]) -> None:
    with transaction(make_session_factory(engine)) as session:
        jobs = session.scalars(
            select(Extraction.job_id).where(Extraction.document_id.in_(document_ids))
        ).all()
        states = set(
            session.scalars(select(Job.state).where(Job.document_id.in_(document_ids))).all()
        )
    assert len(jobs) == DOCUMENTS * PAGES == len(set(jobs))
    assert states == {"succeeded"}


def _wait_for_tasks_in_flight(engine: Engine, worker: SupervisedWorker) -> None:
    deadline = time.monotonic() + FINISH_SECONDS
    while _count_jobs(engine, "succeeded") < 3 or _count_jobs(engine, "running") == 0:
        assert time.monotonic() < deadline, worker.log()
        time.sleep(0.05)


def test_a_redis_outage_with_tasks_in_flight_heals_without_help(
    settings: Settings, private_redis: PrivateRedis, postgres_engine: Engine, tmp_path: Path
) -> None:
    # Default visibility window and stale interval: waiting them out would take 75 minutes.
    settings = settings.model_copy(
        update={"broker_visibility_timeout": 3600, "stale_queued_seconds": 900.0}
    )
    with greenhouse_worker(settings, tmp_path) as worker:
        document_ids = submit_pdf_batch(settings, tmp_path, DOCUMENTS, PAGES, "heal")
        _wait_for_tasks_in_flight(postgres_engine, worker)
        private_redis.kill()
        in_flight = _count_jobs(postgres_engine, "running") + _count_jobs(postgres_engine, "queued")
        time.sleep(OUTAGE_SECONDS)
        private_redis.start()  # the same port, and empty: every queued message is gone
        back = time.monotonic()
        _wait_until_all_done(postgres_engine, document_ids, worker)
        recovery = time.monotonic() - back
        assert worker.process.poll() is None, worker.log()
        log = worker.log()
    _assert_every_page_once(postgres_engine, document_ids)
    assert in_flight > 0
    pids = worker.celery_pids()
    # The Celery worker may survive the outage or die of it (kombu's ack after a lost
    # connection); if it died, the supervisor started another.
    assert len(pids) == 1 + log.count("exited unexpectedly"), log
    assert "the broker lost its messages" in log, log
    print(f"\nrecovered {recovery:.1f} s after Redis came back; Celery worker starts: {len(pids)}")
    assert worker.process.returncode == 0, log  # stopped by SIGTERM, forwarded, not restarted


def test_a_killed_celery_worker_is_started_again(
    settings: Settings, postgres_engine: Engine, tmp_path: Path
) -> None:
    with greenhouse_worker(settings, tmp_path) as worker:
        document_ids = submit_pdf_batch(settings, tmp_path, DOCUMENTS, PAGES, "heal")
        _wait_for_tasks_in_flight(postgres_engine, worker)
        (first,) = worker.celery_pids()
        os.killpg(first, signal.SIGKILL)  # the Celery worker and its pool, as the OOM killer would
        _wait_for_log(worker, " ready.", 2)
        _wait_until_all_done(postgres_engine, document_ids, worker)
        log = worker.log()
    _assert_every_page_once(postgres_engine, document_ids)
    assert re.search(rf"\(pid {first}\) exited unexpectedly with killed by signal SIGKILL", log), (
        log
    )
    second = worker.celery_pids()[1]
    assert second != first and len(worker.celery_pids()) == 2, log
    assert worker.process.returncode == 0, worker.log()


def test_a_fault_free_batch_sends_one_message_per_job_run_and_document(
    settings: Settings, private_redis: PrivateRedis, postgres_engine: Engine, tmp_path: Path
) -> None:
    # The batch queues for longer than the stale interval: the old sweep re-sent every queued
    # job each interval; now only work older than the visibility window is re-sent.
    # Job runs on warm pool children drain a batch in about 0.3 s: sweeps and the stale
    # interval are shorter still, so several sweeps see the batch's work queued past it.
    settings = settings.model_copy(
        update={
            "stale_queued_seconds": 0.05,
            "reaper_interval_seconds": 0.1,
            "broker_visibility_timeout": 120,
        }
    )
    with greenhouse_worker(settings, tmp_path) as worker:
        # A brand-new Redis has no marker yet and looks like one that lost its data: the first
        # sweep re-sends whatever is queued then. Submit once that sweep has set the marker.
        deadline = time.monotonic() + 30
        while not private_redis.client().exists(MARKER_KEY):
            assert time.monotonic() < deadline, "no reaper sweep set the broker marker"
            time.sleep(0.1)
        before = private_redis.lpush_calls()
        document_ids = submit_pdf_batch(settings, tmp_path, DOCUMENTS, PAGES, "heal")
        started = time.monotonic()
        _wait_until_all_done(postgres_engine, document_ids, worker)
        took = time.monotonic() - started
        time.sleep(3 * settings.reaper_interval_seconds)  # sweeps after the batch send nothing
        sent = private_redis.lpush_calls() - before
    _assert_every_page_once(postgres_engine, document_ids)
    assert took > 2 * settings.stale_queued_seconds  # long enough for the old sweep to flood
    # One message per document to chunk it and one per job run of its pages.
    assert sent == DOCUMENTS + DOCUMENTS * math.ceil(PAGES / settings.local_run_pages)
