"""Keeping a job's lease alive while it runs, from a heartbeat thread."""

import logging
import threading
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.database import transaction
from storage.ledger import renew_lease

logger = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews a lease every third of its length until the block exits."""

    def __init__(
        self, sessions: sessionmaker[Session], job_id: str, owner: str, lease_seconds: float
    ) -> None:
        self._sessions = sessions
        self._job_id = job_id
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{job_id[:8]}", daemon=True)
        self.lost = False

    def __enter__(self) -> "LeaseKeeper":
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self._lease_seconds / 3):
            try:
                with transaction(self._sessions) as session:
                    still_ours = renew_lease(
                        session, self._job_id, self._owner, self._lease_seconds
                    )
            except SQLAlchemyError as exc:
                logger.warning("could not renew the lease of job %s: %s", self._job_id, exc)
                continue
            if not still_ours:
                self.lost = True
                return
