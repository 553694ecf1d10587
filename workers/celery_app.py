"""The Celery application and its thin tasks: ids in, ledger-guarded task bodies, nothing out."""

import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

from celery import Celery, signals
from celery.exceptions import SoftTimeLimitExceeded
from kombu.entity import Queue
from sqlalchemy.exc import OperationalError

from schemas.settings import Settings, load_settings
from workers import chunk_document as chunk_step
from workers import run_job as run_step
from workers.context import WorkerContext, build_context
from workers.model_tiers import forget_engines
from workers.queues import (
    ALL_QUEUES,
    CHUNK_DOCUMENT_TASK,
    INGEST_QUEUE,
    RUN_JOB_TASK,
)
from workers.reaper import ReaperThread

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, ConnectionError, TimeoutError)
JOB_SOFT_TIME_LIMIT = 600
JOB_HARD_TIME_LIMIT = 660
RETRY_TRANSIENT: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}
"""Database or network hiccups retry with exponential backoff and jitter; nothing else does."""


class CeleryEnqueuer:
    """Sends tasks by name to their queues."""

    def __init__(self, app: Celery) -> None:
        self._app = app

    def enqueue_documents(self, document_ids: Sequence[str]) -> None:
        for document_id in document_ids:
            self._app.send_task(
                CHUNK_DOCUMENT_TASK, kwargs={"document_id": document_id}, queue=INGEST_QUEUE
            )

    def enqueue_jobs(self, jobs: Sequence[tuple[str, str]]) -> None:
        for job_id, queue in jobs:
            self._app.send_task(RUN_JOB_TASK, kwargs={"job_id": job_id}, queue=queue)


def configure_celery(app: Celery, settings: Settings) -> None:
    """The delivery policy of DESIGN.md: late acks, requeue on worker loss, prefetch 1."""
    if not settings.broker_url:
        raise RuntimeError("GREENHOUSE_BROKER_URL is not set: the Celery workers need a broker")
    app.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.broker_visibility_timeout},
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        result_backend=None,
        task_queues=[Queue(name) for name in ALL_QUEUES],
        task_default_queue=INGEST_QUEUE,
        task_serializer="json",
        accept_content=["json"],
        worker_max_tasks_per_child=settings.worker_max_tasks_per_child or None,
        worker_hijack_root_logger=False,
    )


app = Celery("greenhouse")
_context: WorkerContext | None = None


def context() -> WorkerContext:
    """This process's worker context, built on first use (after the fork)."""
    global _context
    if _context is None:
        _context = build_context(load_settings(), CeleryEnqueuer(app))
    return _context


def _owner(task_id: str | None) -> str:
    return f"{socket.gethostname()}/{os.getpid()}/{task_id or 'no-task-id'}"


@app.task(name=CHUNK_DOCUMENT_TASK, bind=True, **RETRY_TRANSIENT)
def chunk_document_task(self: Any, *, document_id: str) -> None:
    """Cut a document into jobs."""
    chunk_step.chunk_document(context(), document_id, _owner(self.request.id))


@app.task(
    name=RUN_JOB_TASK,
    bind=True,
    **RETRY_TRANSIENT,
    soft_time_limit=JOB_SOFT_TIME_LIMIT,
    time_limit=JOB_HARD_TIME_LIMIT,
)
def run_job_task(self: Any, *, job_id: str) -> None:
    """Run one job."""
    outcome = run_step.run_job(
        context(), job_id, _owner(self.request.id), timeout_errors=(SoftTimeLimitExceeded,)
    )
    logger.info("job %s: %s", job_id, outcome.state)


_reaper: ReaperThread | None = None


@signals.worker_ready.connect
def _start_reaper(**_: Any) -> None:
    global _reaper
    _reaper = ReaperThread(context())
    _reaper.start()


@signals.worker_shutdown.connect
def _stop_reaper(**_: Any) -> None:
    if _reaper is not None:
        _reaper.stop()


@signals.worker_process_init.connect
def _reset_after_fork(**_: Any) -> None:
    # A forked pool child must not share the parent's database connections.
    global _context
    if _context is not None:
        _context.engine.dispose(close=False)
    _context = None
    forget_engines()


_startup_settings = load_settings()
if _startup_settings.broker_url:
    configure_celery(app, _startup_settings)
