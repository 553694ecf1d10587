"""Taking over the leases of lease owners known to be dead, without waiting for them to expire.

Leases expire so that work held by a dead worker is never lost; when the caller knows an
owner is dead (an embedded run on this host whose process is gone), its jobs and chunking
leases are taken back at once, within their attempts.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from schemas.enums import DocumentStatus, JobState
from storage.documents import take_back_chunking_leases
from storage.ledger import ReapResult, reap_expired_leases
from storage.models import Document, Job


@dataclass(frozen=True)
class TakeOver:
    """What was taken back from dead owners."""

    requeued_jobs: list[tuple[str, str]]
    failed_jobs: list[str]
    finished_documents: list[str]
    requeued_documents: list[str]
    failed_documents: list[str]

    @property
    def empty(self) -> bool:
        """Nothing was held by the dead owners."""
        return not (
            self.requeued_jobs
            or self.failed_jobs
            or self.requeued_documents
            or self.failed_documents
        )


def lease_owners_with_prefix(session: Session, prefix: str) -> set[str]:
    """The owners, starting with `prefix`, of running jobs' and chunking documents' leases."""
    jobs = select(Job.lease_owner).where(
        Job.state == JobState.RUNNING, Job.lease_owner.startswith(prefix, autoescape=True)
    )
    documents = select(Document.lease_owner).where(
        Document.status == DocumentStatus.QUEUED,
        Document.lease_owner.startswith(prefix, autoescape=True),
    )
    return {owner for owner in session.scalars(union(jobs, documents)) if owner}


def take_over_leases(session: Session, owners: Iterable[str], max_attempts: int) -> TakeOver:
    """Re-queue the running jobs and chunking documents of dead `owners` (attempts counted at
    their claims); those that used up `max_attempts` fail as `worker_lost`."""
    owner_list = sorted(set(owners))
    if not owner_list:
        return TakeOver([], [], [], [], [])
    held_jobs = list(
        session.scalars(
            select(Job.id).where(Job.state == JobState.RUNNING, Job.lease_owner.in_(owner_list))
        )
    )
    reaped = (
        reap_expired_leases(session, max_attempts, orphaned_job_ids=held_jobs)
        if held_jobs
        else ReapResult([], [], [])
    )
    requeued_documents, failed_documents = take_back_chunking_leases(
        session, owner_list, max_attempts
    )
    return TakeOver(
        requeued_jobs=reaped.requeued,
        failed_jobs=reaped.failed,
        finished_documents=reaped.finished_documents,
        requeued_documents=requeued_documents,
        failed_documents=failed_documents,
    )
