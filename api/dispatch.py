"""Enqueue by task name after commit: the API's only link to the workers."""

from typing import Protocol

from celery import Celery

from schemas.tasks import CHUNK_DOCUMENT_TASK, INGEST_QUEUE


class Dispatcher(Protocol):
    """Hands a committed document to the workers."""

    def dispatch_document(self, document_id: str) -> None:
        """Queue chunking of the document."""


class CeleryDispatcher:
    """Sends `greenhouse.chunk_document` to the ingest queue on the broker."""

    def __init__(self, broker_url: str) -> None:
        self._app = Celery("greenhouse-api", broker=broker_url)
        self._app.conf.update(broker_connection_retry_on_startup=True, task_ignore_result=True)

    def dispatch_document(self, document_id: str) -> None:
        self._app.send_task(
            CHUNK_DOCUMENT_TASK, kwargs={"document_id": document_id}, queue=INGEST_QUEUE
        )


class NoBrokerDispatcher:
    """Without a broker documents stay queued until `greenhouse ingest`'s executor or a reaper."""

    def dispatch_document(self, document_id: str) -> None:
        del document_id
