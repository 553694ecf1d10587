"""Keeping the leases of running jobs alive: one heartbeat thread per process for all of them.

A job registers its lease while it runs; the heartbeat renews every registered lease each
third of the lease length in one transaction (one statement per owner: a job run's leases
are renewed together), and marks a job lost when its lease was taken
over. One thread per process instead of one per job: starting a thread per page cost more than
extracting a native-text page. A lease held with `max_seconds` stops being renewed once that
much time has passed, so a job hung past its deadline loses its lease and the reaper takes it
back, whatever pool runs it.
"""

import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.database import transaction
from storage.ledger import renew_leases

logger = logging.getLogger(__name__)


@dataclass
class _Lease:
    job_id: str
    owner: str
    deadline: float = math.inf
    lost: bool = False
    overdue: bool = False


class LeaseHeartbeat:
    """Renews the registered leases of one database from a single daemon thread."""

    def __init__(self, sessions: sessionmaker[Session], lease_seconds: float) -> None:
        self._sessions = sessions
        self._lease_seconds = lease_seconds
        self._leases: dict[tuple[str, str], _Lease] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, job_id: str, owner: str, max_seconds: float | None = None) -> "HeldLease":
        """Keep the lease of `job_id` alive for the duration of a `with` block, but for no
        longer than `max_seconds` (the job's deadline) when given."""
        return self.hold_many([job_id], owner, max_seconds)

    def hold_many(
        self, job_ids: Sequence[str], owner: str, max_seconds: float | None = None
    ) -> "HeldLease":
        """`hold` for the jobs of a job run, together (`max_seconds`: the whole run's)."""
        deadline = math.inf if max_seconds is None else time.monotonic() + max_seconds
        return HeldLease(self, [_Lease(job_id, owner, deadline) for job_id in job_ids])

    def _register(self, lease: _Lease) -> None:
        with self._lock:
            self._leases[(lease.job_id, lease.owner)] = lease
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._beat, name="lease-heartbeat", daemon=True
                )
                self._thread.start()

    def _unregister(self, lease: _Lease) -> None:
        with self._lock:
            self._leases.pop((lease.job_id, lease.owner), None)

    def _beat(self) -> None:
        while True:
            time.sleep(self._lease_seconds / 3)
            with self._lock:
                leases = list(self._leases.values())
            now = time.monotonic()
            for lease in leases:
                if now >= lease.deadline and not lease.overdue:
                    lease.overdue = True
                    logger.warning(
                        "job %s is past its deadline: its lease is no longer renewed", lease.job_id
                    )
            due = [lease for lease in leases if not lease.overdue]
            if due:
                self._renew(due)

    def _renew(self, leases: list[_Lease]) -> None:
        """One transaction, one statement per owner, for every lease due."""
        by_owner: dict[str, list[_Lease]] = {}
        for lease in leases:
            by_owner.setdefault(lease.owner, []).append(lease)
        try:
            with transaction(self._sessions) as session:
                for owner, held in by_owner.items():
                    job_ids = [lease.job_id for lease in held]
                    renewed = renew_leases(session, job_ids, owner, self._lease_seconds)
                    for lease in held:
                        lease.lost = lease.lost or lease.job_id not in renewed
        except SQLAlchemyError as exc:
            logger.warning("could not renew %d leases: %s", len(leases), exc)


class HeldLease:
    """A registered lease; `lost` turns True if another worker took the job over."""

    def __init__(self, heartbeat: LeaseHeartbeat, leases: list[_Lease]) -> None:
        self._heartbeat = heartbeat
        self._leases = leases

    @property
    def lost(self) -> bool:
        """A lease could not be renewed: a job is no longer ours."""
        return any(lease.lost for lease in self._leases)

    def __enter__(self) -> "HeldLease":
        for lease in self._leases:
            self._heartbeat._register(lease)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for lease in self._leases:
            self._heartbeat._unregister(lease)
