"""Processing API uploads without a broker: a background thread drives the embedded executor."""

import logging
import queue
import threading
from collections.abc import Sequence

from schemas.settings import Settings
from workers.context import CollectingEnqueuer, build_context
from workers.embedded import EmbeddedExecutor
from workers.isolation.pool import IsolationPool
from workers.webhooks import DeliveryThread, deliverer_of

logger = logging.getLogger(__name__)


class EmbeddedDispatcher:
    """Satisfies the API's Dispatcher protocol; documents are processed in arrival order."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pending: queue.Queue[str | list[tuple[str, str]]] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="embedded-dispatch", daemon=True)
        self._thread.start()

    def dispatch_document(self, document_id: str) -> None:
        self._pending.put(document_id)

    def dispatch_jobs(self, jobs: Sequence[tuple[str, str]]) -> None:
        """A reprocessed document's queued jobs."""
        self._pending.put(list(jobs))

    def _loop(self) -> None:
        enqueuer = CollectingEnqueuer()
        context = build_context(self._settings, enqueuer)
        if isinstance(context.isolation, IsolationPool):  # a resident process: OCR ready too
            context.isolation.prestart(preload_ocr=True)
        executor = EmbeddedExecutor(context)
        # Retries of webhook deliveries (each drain ends with a pass of its own).
        DeliveryThread(
            deliverer_of(self._settings, context.sessions), self._settings.webhook_poll_seconds
        ).start()
        while True:
            self._enqueue(enqueuer, self._pending.get())
            while not self._pending.empty():
                self._enqueue(enqueuer, self._pending.get_nowait())
            try:
                executor.drain()
            except Exception:
                logger.exception("the embedded executor failed; documents stay queued")

    @staticmethod
    def _enqueue(enqueuer: CollectingEnqueuer, item: str | list[tuple[str, str]]) -> None:
        if isinstance(item, str):
            enqueuer.enqueue_documents([item])
        else:
            enqueuer.enqueue_jobs(item)
