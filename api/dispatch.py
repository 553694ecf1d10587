"""Enqueue by task name after commit: the API's only link to the workers."""

import logging
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from celery import Celery

from schemas.tasks import CHUNK_DOCUMENT_TASK, INGEST_QUEUE, RUN_JOB_TASK
from storage.database import SessionFactory
from storage.outbox import FLUSH_BATCH, FlushResult, flush_outbox

logger = logging.getLogger(__name__)


class Dispatcher(Protocol):
    """Hands a committed document to the workers."""

    def dispatch_document(self, document_id: str) -> None:
        """Queue chunking of the document."""


@runtime_checkable
class JobDispatcher(Protocol):
    """Hands committed queued jobs to the workers (a reprocessed document's)."""

    def dispatch_jobs(self, jobs: Sequence[tuple[str, str]]) -> None:
        """Queue (job id, queue name) pairs."""


class CeleryDispatcher:
    """Sends `greenhouse.chunk_document` to the ingest queue on the broker (and
    `greenhouse.run_job` for a reprocessed document's jobs)."""

    def __init__(self, broker_url: str) -> None:
        self._app = Celery("greenhouse-api", broker=broker_url)
        self._app.conf.update(broker_connection_retry_on_startup=True, task_ignore_result=True)

    def dispatch_document(self, document_id: str) -> None:
        self._app.send_task(
            CHUNK_DOCUMENT_TASK, kwargs={"document_id": document_id}, queue=INGEST_QUEUE
        )

    def dispatch_jobs(self, jobs: Sequence[tuple[str, str]]) -> None:
        for job_id, queue in jobs:
            self._app.send_task(RUN_JOB_TASK, kwargs={"job_id": job_id}, queue=queue)


class NoBrokerDispatcher:
    """Without a broker documents stay queued until `greenhouse ingest`'s executor or a reaper."""

    def dispatch_document(self, document_id: str) -> None:
        del document_id


class OutboxRelay:
    """Sends the chunking message of a document the intake recorded in the outbox.

    `send` tries once, right after the commit. When the broker is down the entry stays in the
    outbox and a background thread flushes it (every pending entry) with a doubling delay from
    `first_delay` to `max_delay` until the outbox is empty; the workers' reapers flush it too.
    The thread exists only while something is pending.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        dispatcher: Dispatcher,
        first_delay: float = 2.0,
        max_delay: float = 60.0,
    ) -> None:
        self._sessions = sessions
        self._dispatcher = dispatcher
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wanted = False
        self._stop = threading.Event()

    def send(self, document_id: str) -> bool:
        """Send now; False (and a retry scheduled) when the broker could not be reached."""
        result = flush_outbox(self._sessions, self._dispatcher.dispatch_document, [document_id])
        if result.error is None:
            return True
        logger.warning(
            "document %s accepted but not sent (%s); retrying in the background",
            document_id,
            result.error,
        )
        self._retry_in_background()
        return False

    def close(self) -> None:
        """Stop the retry thread (pending entries stay for the reapers)."""
        self._stop.set()

    def _retry_in_background(self) -> None:
        with self._lock:
            self._wanted = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._retry_loop, name="outbox-relay", daemon=True
                )
                self._thread.start()

    def _retry_loop(self) -> None:
        delay = self._first_delay
        while not self._stop.wait(delay):
            with self._lock:
                self._wanted = False
            try:
                result = flush_outbox(self._sessions, self._dispatcher.dispatch_document)
            except Exception as exc:
                result = FlushResult(sent=[], error=f"{type(exc).__name__}: {exc}")
            if result.error is not None:
                logger.warning("outbox flush failed, retrying in %.0f s: %s", delay, result.error)
                delay = min(delay * 2, self._max_delay)
                continue
            if result.sent:
                logger.info("outbox: sent %d pending document(s)", len(result.sent))
            delay = self._first_delay
            with self._lock:
                if len(result.sent) < FLUSH_BATCH and not self._wanted:
                    self._thread = None
                    return
