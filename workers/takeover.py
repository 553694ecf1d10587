"""Taking over the leases of dead owners on this host: an embedded run at its start takes over
those of embedded runs that died; a Celery worker's reaper those of Celery pool processes that
died (a kill -9, the OOM killer).

Owners name kind, host and process (`workers.owners`); a process that is gone holds nothing, so
its running jobs and chunking documents are re-queued at once (within their attempts) instead
of after the lease expires.
"""

import logging
import os
import socket
from dataclasses import dataclass

from storage.database import transaction
from storage.takeover import lease_owners_with_prefix, take_over_leases
from workers.context import WorkerContext
from workers.finalize_document import finalize_document
from workers.owners import (
    CELERY_PREFIX,
    EMBEDDED_PREFIX,
    owner_pid,
    owner_prefix,
    process_is_alive,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TakeOverReport:
    """What a run took back from dead runs, for the user."""

    dead_pids: list[int]
    jobs: int
    documents: int
    failed: int

    def describe(self) -> str | None:
        """One line for the user, or None when there was nothing to take over."""
        if not (self.jobs or self.documents or self.failed):
            return None
        pids = ", ".join(str(pid) for pid in self.dead_pids)
        line = (
            f"resumed {_plural(self.jobs, 'job')} and {_plural(self.documents, 'document')} "
            f"left by an embedded run that stopped (pid {pids})"
        )
        if self.failed:
            line += f"; {self.failed} failed after too many attempts"
        return line


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def take_over_dead_embedded_runs(context: WorkerContext) -> TakeOverReport:
    """Re-queue the work leased by dead embedded runs on this host and enqueue it here."""
    return take_over_dead_owners(context, EMBEDDED_PREFIX)


def take_over_dead_celery_processes(context: WorkerContext) -> TakeOverReport:
    """Re-queue the work leased by dead Celery pool processes on this host."""
    return take_over_dead_owners(context, CELERY_PREFIX)


def take_over_dead_owners(context: WorkerContext, kind: str) -> TakeOverReport:
    """Re-queue the work leased by dead owners of `kind` on this host and enqueue it."""
    prefix = owner_prefix(kind, socket.gethostname())
    with transaction(context.sessions) as session:
        owners = lease_owners_with_prefix(session, prefix)
    dead: dict[str, int] = {}
    for owner in owners:
        pid = owner_pid(owner, prefix)
        if pid is not None and pid != os.getpid() and not process_is_alive(pid):
            dead[owner] = pid
    if not dead:
        return TakeOverReport([], 0, 0, 0)
    with transaction(context.sessions) as session:
        taken = take_over_leases(session, dead, context.settings.max_attempts)
    context.enqueuer.enqueue_documents(taken.requeued_documents)
    context.enqueuer.enqueue_jobs(taken.requeued_jobs)
    for document_id in taken.finished_documents:
        finalize_document(context, document_id)
    report = TakeOverReport(
        dead_pids=sorted(set(dead.values())),
        jobs=len(taken.requeued_jobs),
        documents=len(taken.requeued_documents),
        failed=len(taken.failed_jobs) + len(taken.failed_documents),
    )
    if not taken.empty:
        logger.info("%s", report.describe())
    return report
