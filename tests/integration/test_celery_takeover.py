"""A Celery worker's reaper takes back, at its next sweep, the jobs of pool processes on its
host that died (kill -9, the OOM killer), instead of waiting out their 300 s leases."""

import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from schemas.enums import JobState
from schemas.settings import Settings
from storage.database import transaction
from storage.ledger import claim_job
from storage.models import Job
from tests.integration.ledger_helpers import document_with_jobs
from workers.context import CollectingEnqueuer, build_context
from workers.owners import celery_owner, owner_prefix
from workers.reaper import reap_once


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_reaper_takes_back_the_jobs_of_dead_pool_processes_at_once(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url="redis://127.0.0.1:1/0",  # a Celery worker's settings; nothing is sent
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=300,
    )
    enqueuer = CollectingEnqueuer()
    context = build_context(settings, enqueuer)
    try:
        _, (dead_job, live_job, queued_job) = document_with_jobs(context.sessions, context.blobs, 3)
        dead_owner = f"{owner_prefix('celery', socket.gethostname())}{_dead_pid()}/task-1"
        live_owner = celery_owner("task-2")  # this process: alive
        with transaction(context.sessions) as session:
            assert claim_job(session, dead_job, dead_owner, 300) is not None
            assert claim_job(session, live_job, live_owner, 300) is not None

        swept = reap_once(context)

        with transaction(context.sessions) as session:
            rows = session.execute(select(Job.id, Job.state, Job.lease_owner)).all()
        states = {job_id: state for job_id, state, _ in rows}
        owners = {job_id: owner for job_id, _, owner in rows}
    finally:
        context.close()
    assert swept == 1
    assert enqueuer.jobs == [(dead_job, "local")]
    assert states == {
        dead_job: JobState.QUEUED,
        live_job: JobState.RUNNING,
        queued_job: JobState.QUEUED,
    }
    assert owners[live_job] == live_owner
