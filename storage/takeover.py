"""Taking over the leases of lease owners known to be dead, without waiting for them to expire.

Leases expire so that work held by a dead worker is never lost; when the caller knows an
owner is dead (an embedded run on this host whose process is gone), its jobs and chunking
leases are taken back at once, within their attempts.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from schemas.enums import DocumentStatus, JobState
from storage.documents import take_back_chunking_leases
from storage.ledger import ReapResult, reap_expired_leases
from storage.models import Document, Job
from storage.types import utcnow


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


@dataclass(frozen=True)
class HeldLease:
    """A live lease on a job or a chunking document: (owner, expiry, job or document)."""

    owner: str
    expires_at: datetime
    is_job: bool


def live_leases_of(session: Session, document_ids: list[str]) -> list[HeldLease]:
    """The unexpired leases on the running jobs and chunking documents of these documents."""
    if not document_ids:
        return []
    now = utcnow()
    jobs = session.execute(
        select(Job.lease_owner, Job.lease_expires_at).where(
            Job.document_id.in_(document_ids),
            Job.state == JobState.RUNNING,
            Job.lease_expires_at >= now,
        )
    ).all()
    documents = session.execute(
        select(Document.lease_owner, Document.lease_expires_at).where(
            Document.id.in_(document_ids),
            Document.status == DocumentStatus.QUEUED,
            Document.lease_expires_at >= now,
        )
    ).all()
    return [
        HeldLease(owner, expires_at, is_job)
        for rows, is_job in ((jobs, True), (documents, False))
        for owner, expires_at in rows
        if owner is not None and expires_at is not None
    ]
