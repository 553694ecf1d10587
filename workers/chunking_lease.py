"""Keeping a document's chunking lease alive while it is chunked (a 2,000-page PDF or a
two-hour video can take longer than the lease).

One thread per document being chunked, renewing every third of the lease: chunking is one
document at a time per worker, so this costs nothing next to the chunking itself.
"""

import logging
import threading
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.database import transaction
from storage.documents import renew_chunking_lease

logger = logging.getLogger(__name__)


class ChunkingLease:
    """Renews the chunking lease of `document_id` between `start` and `stop` (or in `with`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        document_id: str,
        owner: str,
        lease_seconds: float,
    ) -> None:
        self._sessions = sessions
        self._document_id = document_id
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"chunking-lease-{document_id[:8]}", daemon=True
        )
        self.lost = False
        """The lease could not be renewed: another worker took the document over."""

    def start(self) -> "ChunkingLease":
        """Begin renewing; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop renewing (the lease itself is left as it is)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def __enter__(self) -> "ChunkingLease":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _beat(self) -> None:
        while not self._stop.wait(self._lease_seconds / 3):
            try:
                with transaction(self._sessions) as session:
                    renewed = renew_chunking_lease(
                        session, self._document_id, self._owner, self._lease_seconds
                    )
            except SQLAlchemyError as exc:
                logger.warning(
                    "could not renew the chunking lease of %s: %s", self._document_id, exc
                )
                continue
            if not renewed:
                self.lost = True
                return
