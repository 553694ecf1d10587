"""The Celery application, built from settings by the entry point that needs it.

`celery_client(settings)` is a configured app for sending tasks by name (the CLI);
`create_worker_app(settings)` adds the thin tasks and the worker's signal handlers (the reaper
thread; a context whose isolation zygote starts before the first task: in each child a
prefork pool forks, or in the worker itself with a threads or solo pool). Task bodies take
ids, not payloads.
"""

import logging
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from celery import Celery, signals
from celery.exceptions import SoftTimeLimitExceeded
from kombu.entity import Queue
from sqlalchemy.exc import OperationalError

from schemas.settings import Settings
from schemas.tasks import (
    ALL_QUEUES,
    CHUNK_DOCUMENT_TASK,
    INGEST_QUEUE,
    RUN_JOB_RUN_TASK,
    RUN_JOB_TASK,
)
from workers import chunk_document as chunk_step
from workers import job_run as job_run_step
from workers import run_job as run_step
from workers.context import WorkerContext, build_context
from workers.isolation.pool import IsolationPool
from workers.owners import celery_owner
from workers.reaper_thread import ReaperThread
from workers.webhooks import DeliveryKicker, DeliveryThread, deliverer_of

__all__ = ["CeleryEnqueuer", "celery_client", "configure_celery", "create_worker_app"]

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

    def enqueue_runs(self, runs: Sequence[tuple[str, str]]) -> None:
        for run_id, queue in runs:
            self._app.send_task(RUN_JOB_RUN_TASK, kwargs={"run_id": run_id}, queue=queue)


def configure_celery(app: Celery, settings: Settings) -> None:
    """The delivery policy: late acks, requeue on worker loss, prefetch 1, no results."""
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


def celery_client(settings: Settings) -> Celery:
    """A configured app for sending tasks by name; it registers no tasks."""
    app = Celery("greenhouse")
    configure_celery(app, settings)
    return app


class ProcessContext:
    """The worker context of the current process, built on first use (after the fork) under a
    lock, since the threads pool runs many tasks at once."""

    def __init__(self, settings: Settings, app: Celery) -> None:
        self._settings = settings
        self._app = app
        self._lock = threading.Lock()
        self._context: WorkerContext | None = None

    def get(self) -> WorkerContext:
        with self._lock:
            if self._context is None:
                built = build_context(self._settings, CeleryEnqueuer(self._app))
                built.deliveries = DeliveryKicker(deliverer_of(self._settings, built.sessions))
                self._context = built
            return self._context

    def reset_after_fork(self) -> None:
        """A forked pool child must not share the parent's connections, clients or models."""
        with self._lock:
            if self._context is not None:
                self._context.engine.dispose(close=False)
            self._context = None

    def warm(self) -> None:
        """Build the context and start its isolation zygote now, without waiting for it: a
        pool child is then ready when its first task comes, instead of importing the pipeline
        (its zygote's ~0.8 s of CPU) under its first document, and RapidOCR's module (~0.7 s)
        under its first OCR."""
        isolation = self.get().isolation
        if isinstance(isolation, IsolationPool):
            isolation.prestart(preload_ocr=True)


def create_worker_app(settings: Settings) -> Celery:
    """The worker's app: configured, with the tasks and the worker's signal handlers.

    Build one per process (the signal handlers are process-wide)."""
    app = celery_client(settings)
    context = ProcessContext(settings, app)
    _register_tasks(app, context)
    _register_run_task(app, context, settings.local_run_pages)
    _connect_signals(context)
    return app


def _register_tasks(app: Celery, context: ProcessContext) -> None:
    @app.task(name=CHUNK_DOCUMENT_TASK, bind=True, **RETRY_TRANSIENT)
    def chunk_document_task(self: Any, *, document_id: str) -> None:
        """Cut a document into jobs."""
        chunk_step.chunk_document(context.get(), document_id, celery_owner(self.request.id))

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
            context.get(),
            job_id,
            celery_owner(self.request.id),
            timeout_errors=(SoftTimeLimitExceeded,),
        )
        logger.info("job %s: %s", job_id, outcome.state)


def _register_run_task(app: Celery, context: ProcessContext, run_pages: int) -> None:
    """The job run's task: its time limits are a job's times the pages a run may hold."""

    @app.task(
        name=RUN_JOB_RUN_TASK,
        bind=True,
        **RETRY_TRANSIENT,
        soft_time_limit=JOB_SOFT_TIME_LIMIT * run_pages,
        time_limit=JOB_HARD_TIME_LIMIT * run_pages,
    )
    def run_job_run_task(self: Any, *, run_id: str) -> None:
        """Run the queued jobs of a job run."""
        outcomes = job_run_step.run_job_run(
            context.get(),
            run_id,
            celery_owner(self.request.id),
            timeout_errors=(SoftTimeLimitExceeded,),
        )
        states = Counter(outcome.state for outcome in outcomes)
        logger.info("run %s: %s", run_id, dict(states) or "nothing to claim")


def _connect_signals(context: ProcessContext) -> None:
    reaper: list[ReaperThread] = []
    deliveries: list[DeliveryThread] = []

    def on_worker_ready(sender: Any = None, **_: Any) -> None:
        thread = ReaperThread(context.get())
        reaper.append(thread)
        thread.start()
        worker_context = context.get()
        settings = worker_context.settings
        delivery = DeliveryThread(
            deliverer_of(settings, worker_context.sessions), settings.webhook_poll_seconds
        )
        deliveries.append(delivery)
        delivery.start()
        if _runs_tasks_here(sender):  # threads or solo: no pool child will warm up for it
            _warm(context)

    def on_worker_shutdown(**_: Any) -> None:
        for thread in reaper:
            thread.stop()
        for delivery in deliveries:
            delivery.stop()

    def start_pool_child(**_: Any) -> None:
        context.reset_after_fork()
        _warm(context)

    signals.worker_ready.connect(on_worker_ready, weak=False)
    signals.worker_shutdown.connect(on_worker_shutdown, weak=False)
    signals.worker_process_init.connect(start_pool_child, weak=False)


def _runs_tasks_here(consumer: Any) -> bool:
    """Whether the worker's own process runs its tasks (a threads or solo pool), rather than
    the children of a prefork pool (each of which warms up when it is forked)."""
    from celery.concurrency.prefork import TaskPool as PreforkPool

    return not isinstance(getattr(consumer, "pool", None), PreforkPool)


def _warm(context: ProcessContext) -> None:
    """Warm the process's context before its first task. Warming is ahead of need: if it
    fails, the first task builds what is missing again and stores any failure on its job; a
    pool child that raised here would be restarted by Celery in a loop."""
    try:
        context.warm()
    except Exception:
        logger.exception("the worker process could not warm up; its first task will try again")
