"""The job ledger: every state transition of a job, each one atomic and guarded.

queued -> running (claim, with a lease) -> succeeded | failed | waiting; running -> queued
(transient error or expired lease). A transition only applies from the state (and, for a
running job, the lease owner) it expects, so a redelivered or duplicated task is harmless.
Reaching a terminal state counts the document down; the job that brings the count to zero
finalises the document.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from schemas.enums import DocumentStatus, ErrorCategory, JobState
from storage.models import Document, Extraction, Job
from storage.types import utcnow


@dataclass(frozen=True)
class ExtractionRecord:
    """The extraction a successful job stores."""

    kind: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    engine: str | None = None


@dataclass(frozen=True)
class Usage:
    """Model usage recorded on a job."""

    tokens_in: int | None = None
    tokens_out: int | None = None
    latency_ms: float | None = None
    model: str | None = None
    fell_back: bool = False
    model_calls: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReapResult:
    """Jobs the reaper put back in the queue, jobs it failed for too many attempts, and the
    documents those failures finished."""

    requeued: list[tuple[str, str]]
    failed: list[str]
    finished_documents: list[str]


@dataclass(frozen=True)
class Transition:
    """Whether a guarded transition applied, and the document it finished, if any.

    Truthy exactly when the transition applied.
    """

    applied: bool
    finished_document: str | None = None

    def __bool__(self) -> bool:
        return self.applied


_REFUSED = Transition(applied=False)


def claim_job(session: Session, job_id: str, owner: str, lease_seconds: float) -> Job | None:
    """Lease a job to `owner`; None if it is not claimable.

    Claimable: queued, or running with an expired lease, or running under the same owner (a
    retry or redelivery of the same task message takes its job back at once).
    """
    now = utcnow()
    claimed = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            (Job.state == JobState.QUEUED)
            | and_(
                Job.state == JobState.RUNNING,
                (Job.lease_expires_at < now) | (Job.lease_owner == owner),
            ),
        )
        .values(
            state=JobState.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
            updated_at=now,
        )
        .returning(Job.id)
    ).first()
    if claimed is None:
        return None
    return session.scalars(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).one()


def renew_lease(session: Session, job_id: str, owner: str, lease_seconds: float) -> bool:
    """Extend a running job's lease; False if the job is no longer ours."""
    now = utcnow()
    renewed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.lease_owner == owner)
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(Job.id)
    ).first()
    return renewed is not None


def complete_job(
    session: Session,
    job_id: str,
    owner: str,
    extraction: ExtractionRecord,
    usage: Usage | None = None,
) -> Transition:
    """Mark a running job succeeded, store its one extraction and count the document down.

    Refused (and nothing written) when the job is not running under `owner` any more.
    """
    now = utcnow()
    usage = usage or Usage()
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.lease_owner == owner)
        .values(
            state=JobState.SUCCEEDED,
            lease_owner=None,
            lease_expires_at=None,
            error_category=None,
            error_message=None,
            tokens_in=usage.tokens_in,
            tokens_out=usage.tokens_out,
            latency_ms=usage.latency_ms,
            model=usage.model,
            fell_back=usage.fell_back,
            model_calls=usage.model_calls,
            finished_at=now,
            updated_at=now,
        )
        .returning(Job.document_id, Job.seq)
    ).first()
    if row is None:
        return _REFUSED
    document_id, seq = row
    session.add(
        Extraction(
            job_id=job_id,
            document_id=document_id,
            seq=seq,
            kind=extraction.kind,
            engine=extraction.engine,
            data=extraction.data,
            provenance=extraction.provenance,
        )
    )
    session.flush()
    return _count_down(session, document_id, succeeded=True)


def fail_job(
    session: Session, job_id: str, owner: str | None, category: ErrorCategory, message: str
) -> Transition:
    """Fail a running job for good (owner None: whoever holds it) and count the document down."""
    now = utcnow()
    conditions = [Job.id == job_id, Job.state == JobState.RUNNING]
    if owner is not None:
        conditions.append(Job.lease_owner == owner)
    row = session.execute(
        update(Job)
        .where(*conditions)
        .values(
            state=JobState.FAILED,
            lease_owner=None,
            lease_expires_at=None,
            error_category=category.value,
            error_message=message,
            finished_at=now,
            updated_at=now,
        )
        .returning(Job.document_id)
    ).first()
    if row is None:
        return _REFUSED
    return _count_down(session, row[0], succeeded=False)


def release_job(
    session: Session, job_id: str, owner: str, category: ErrorCategory, message: str
) -> bool:
    """Put a running job back in the queue after a transient error, keeping the error as a note."""
    now = utcnow()
    released = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.lease_owner == owner)
        .values(
            state=JobState.QUEUED,
            lease_owner=None,
            lease_expires_at=None,
            error_category=category.value,
            error_message=message,
            enqueued_at=now,
            updated_at=now,
        )
        .returning(Job.id)
    ).first()
    return released is not None


def park_job(session: Session, job_id: str, owner: str | None, reason: str) -> bool:
    """Park a job as waiting (its tier is not configured or is down); it is not counted down."""
    now = utcnow()
    conditions = [Job.id == job_id, Job.state.in_([JobState.RUNNING, JobState.QUEUED])]
    if owner is not None:
        conditions.append(Job.lease_owner == owner)
    parked = session.execute(
        update(Job)
        .where(*conditions)
        .values(
            state=JobState.WAITING,
            lease_owner=None,
            lease_expires_at=None,
            waiting_reason=reason,
            updated_at=now,
        )
        .returning(Job.id)
    ).first()
    return parked is not None


def resume_waiting(session: Session, tier: str | None = None) -> list[tuple[str, str]]:
    """Move waiting jobs (of one tier, or all) back to queued; returns (job id, queue) pairs."""
    now = utcnow()
    conditions = [Job.state == JobState.WAITING]
    if tier is not None:
        conditions.append(Job.tier == tier)
    rows = session.execute(
        update(Job)
        .where(*conditions)
        .values(state=JobState.QUEUED, waiting_reason=None, enqueued_at=now, updated_at=now)
        .returning(Job.id, Job.queue)
    )
    return [(job_id, job_tier) for job_id, job_tier in rows]


def reap_expired_leases(
    session: Session, max_attempts: int, orphaned_job_ids: list[str] | None = None
) -> ReapResult:
    """Re-queue running jobs whose worker died; fail those that used up their attempts.

    By default the dead are found by expired leases; `orphaned_job_ids` names running jobs
    known to be orphaned (their process crashed), whatever their lease says.
    """
    now = utcnow()
    if orphaned_job_ids is None:
        expired = (Job.state == JobState.RUNNING) & (Job.lease_expires_at < now)
    else:
        expired = (Job.state == JobState.RUNNING) & Job.id.in_(orphaned_job_ids)
    failed_rows = session.execute(
        update(Job)
        .where(expired, Job.attempts >= max_attempts)
        .values(
            state=JobState.FAILED,
            lease_owner=None,
            lease_expires_at=None,
            error_category=ErrorCategory.WORKER_LOST.value,
            error_message=(
                f"the worker running this job stopped responding {max_attempts} times; giving up"
            ),
            finished_at=now,
            updated_at=now,
        )
        .returning(Job.id, Job.document_id)
    ).all()
    finished = [
        transition.finished_document
        for _, document_id in failed_rows
        if (transition := _count_down(session, document_id, succeeded=False)).finished_document
    ]
    requeued_rows = session.execute(
        update(Job)
        .where(expired)
        .values(
            state=JobState.QUEUED,
            lease_owner=None,
            lease_expires_at=None,
            error_category=ErrorCategory.WORKER_LOST.value,
            error_message="the previous worker stopped responding; the job was re-queued",
            enqueued_at=now,
            updated_at=now,
        )
        .returning(Job.id, Job.queue)
    ).all()
    return ReapResult(
        requeued=[(job_id, tier) for job_id, tier in requeued_rows],
        failed=[job_id for job_id, _ in failed_rows],
        finished_documents=[document_id for document_id in finished if document_id],
    )


def stale_queued_jobs(
    session: Session, older_than_seconds: float, sent_since: datetime | None = None
) -> list[tuple[str, str]]:
    """Queued jobs last sent more than `older_than_seconds` ago, or (with `sent_since`) at or
    after that moment, a broker outage (their message may be lost): (job id, queue) pairs;
    stamps them sent now, so each is re-sent once per interval.

    `enqueued_at` is the last send: every transition that (re)queues a job stamps it."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    lost = Job.enqueued_at < cutoff
    if sent_since is not None:
        lost = lost | ((Job.enqueued_at >= sent_since) & (Job.enqueued_at < now))
    rows = session.execute(
        update(Job)
        .where(Job.state == JobState.QUEUED, lost)
        .values(enqueued_at=now)
        .returning(Job.id, Job.queue)
    )
    return [(job_id, tier) for job_id, tier in rows]


def queued_among(session: Session, job_ids: list[str]) -> list[tuple[str, str]]:
    """The (job id, queue) pairs of the given jobs that are queued."""
    rows = session.execute(
        select(Job.id, Job.queue).where(Job.id.in_(job_ids), Job.state == JobState.QUEUED)
    )
    return [(job_id, tier) for job_id, tier in rows]


def queued_jobs_of_document(session: Session, document_id: str) -> list[tuple[str, str]]:
    """The (job id, queue) pairs of the document's queued jobs."""
    rows = session.execute(
        select(Job.id, Job.queue).where(
            Job.document_id == document_id, Job.state == JobState.QUEUED
        )
    )
    return [(job_id, queue) for job_id, queue in rows]


def queue_of_job(session: Session, job_id: str) -> str | None:
    """The queue a job runs on; None for an unknown job."""
    return session.scalar(select(Job.queue).where(Job.id == job_id))


def _count_down(session: Session, document_id: str, *, succeeded: bool) -> Transition:
    now = utcnow()
    remaining, n_succeeded, n_failed, n_total = session.execute(
        update(Document)
        .where(Document.id == document_id)
        .values(
            jobs_pending=Document.jobs_pending - 1,
            jobs_succeeded=Document.jobs_succeeded + (1 if succeeded else 0),
            jobs_failed=Document.jobs_failed + (0 if succeeded else 1),
            updated_at=now,
        )
        .returning(
            Document.jobs_pending,
            Document.jobs_succeeded,
            Document.jobs_failed,
            Document.jobs_total,
        )
    ).one()
    if remaining > 0:
        return Transition(applied=True)
    values: dict[str, Any] = {"finished_at": now, "updated_at": now}
    if n_failed == 0:
        values["status"] = DocumentStatus.DONE
    elif n_succeeded == 0:
        values.update(
            status=DocumentStatus.FAILED,
            error_category=ErrorCategory.PARTIAL_FAILURE.value,
            error_message=f"all {n_total} jobs failed; see the jobs for their errors",
        )
    else:
        values.update(
            status=DocumentStatus.PARTIAL,
            error_category=ErrorCategory.PARTIAL_FAILURE.value,
            error_message=f"{n_failed} of {n_total} jobs failed; see the jobs for their errors",
        )
    session.execute(update(Document).where(Document.id == document_id).values(**values))
    return Transition(applied=True, finished_document=document_id)
