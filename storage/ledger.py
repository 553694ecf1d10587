"""The job ledger: every state transition of a job, each one atomic and guarded.

queued -> running (claim, with a lease) -> succeeded | failed | waiting; running -> queued
(transient error or expired lease). A transition only applies from the state (and, for a
running job, the lease owner) it expects, so a redelivered or duplicated task is harmless.
Reaching a terminal state counts the document down; the job that brings the count to zero
finalises the document.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from schemas.enums import ErrorCategory, JobState
from storage.families import finished_values
from storage.models import Document, Extraction, Job, new_id
from storage.runs import RecordedChunks
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
    budget: int | None = None
    """The visual budget the job ran at; kept on a job planned without one (a reprocess moved
    it to the model tier, and its engine chose the budget when it ran)."""


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


@dataclass(frozen=True)
class Completion:
    """A job that succeeded: its extraction and model usage (for `settle_jobs`)."""

    job_id: str
    extraction: ExtractionRecord
    usage: Usage | None = None


@dataclass(frozen=True)
class Failure:
    """A job that failed for good (for `settle_jobs`)."""

    job_id: str
    category: ErrorCategory
    message: str


@dataclass(frozen=True)
class SettledJobs:
    """The jobs `settle_jobs` completed and failed, and the documents that finished."""

    completed: list[str]
    failed: list[str]
    finished_documents: list[str]


def claim_job(session: Session, job_id: str, owner: str, lease_seconds: float) -> Job | None:
    """Lease a job to `owner`; None if it is not claimable.

    Claimable: queued, or running with an expired lease, or running under the same owner (a
    retry or redelivery of the same task message takes its job back at once).
    """
    now = utcnow()
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, _claimable(owner, now))
        .values(**_claim_values(owner, lease_seconds, now))
        .returning(Job.id)
    ).first()
    if claimed is None:
        return None
    return session.scalars(
        select(Job).where(Job.id == job_id).execution_options(populate_existing=True)
    ).one()


def claim_run(session: Session, run_id: str, owner: str, lease_seconds: float) -> list[Job]:
    """Lease every claimable job of a run to `owner` in one statement (each counts an attempt);
    the claimed jobs in chunk order, [] when none is claimable. Jobs another owner holds are
    left to it, so a run partly claimed elsewhere (a job re-sent alone) claims only the rest."""
    now = utcnow()
    claimed = session.scalars(
        update(Job)
        .where(Job.run_id == run_id, _claimable(owner, now))
        .values(**_claim_values(owner, lease_seconds, now))
        .returning(Job.id)
    ).all()
    if not claimed:
        return []
    return list(
        session.scalars(
            select(Job)
            .where(Job.id.in_(claimed))
            .order_by(Job.seq)
            .execution_options(populate_existing=True)
        )
    )


def _claimable(owner: str, now: datetime) -> ColumnElement[bool]:
    """Queued, or running with an expired lease, or running under the same owner."""
    return (Job.state == JobState.QUEUED) | and_(
        Job.state == JobState.RUNNING,
        (Job.lease_expires_at < now) | (Job.lease_owner == owner),
    )


def _claim_values(owner: str, lease_seconds: float, now: datetime) -> dict[str, Any]:
    return {
        "state": JobState.RUNNING,
        "lease_owner": owner,
        "lease_expires_at": now + timedelta(seconds=lease_seconds),
        "attempts": Job.attempts + 1,
        "started_at": now,
        "updated_at": now,
    }


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


def renew_leases(
    session: Session, job_ids: Sequence[str], owner: str, lease_seconds: float
) -> set[str]:
    """Extend the leases of an owner's running jobs in one statement; the ids still ours."""
    if not job_ids:
        return set()
    _lock_in_order(session, job_ids)
    now = utcnow()
    renewed = session.scalars(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.state == JobState.RUNNING, Job.lease_owner == owner)
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds))
        .returning(Job.id)
    ).all()
    return set(renewed)


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
        .values(**_success_values(usage, now))
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


def settle_jobs(
    session: Session,
    owner: str,
    completions: Sequence[Completion],
    failures: Sequence[Failure],
) -> SettledJobs:
    """`complete_job` and `fail_job` for many running jobs of `owner` in one transaction: the
    extractions inserted together, each document counted down once by its totals. Jobs no
    longer running under `owner` are left out (and written nothing)."""
    _lock_in_order(
        session, [each.job_id for each in completions] + [each.job_id for each in failures]
    )
    now = utcnow()
    finished: dict[str, tuple[int, str]] = {}  # job id -> (seq, document id)
    plain = [each for each in completions if each.usage is None]
    if plain:
        rows = session.execute(
            update(Job)
            .where(
                Job.id.in_([each.job_id for each in plain]),
                Job.state == JobState.RUNNING,
                Job.lease_owner == owner,
            )
            .values(**_success_values(Usage(), now))
            .returning(Job.id, Job.seq, Job.document_id)
        ).all()
        finished.update((job_id, (seq, document_id)) for job_id, seq, document_id in rows)
    for each in completions:
        if each.usage is not None:
            row = session.execute(
                update(Job)
                .where(Job.id == each.job_id, _running_under(owner))
                .values(**_success_values(each.usage, now))
                .returning(Job.seq, Job.document_id)
            ).first()
            if row is not None:
                finished[each.job_id] = (row[0], row[1])
    completed = [each for each in completions if each.job_id in finished]
    if completed:
        session.execute(
            insert(Extraction),
            [
                {
                    "id": new_id(),
                    "job_id": each.job_id,
                    "document_id": finished[each.job_id][1],
                    "seq": finished[each.job_id][0],
                    "kind": each.extraction.kind,
                    "engine": each.extraction.engine,
                    "data": each.extraction.data,
                    "provenance": each.extraction.provenance,
                    "created_at": now,
                }
                for each in completed
            ],
        )
    failed: dict[str, str] = {}  # job id -> document id
    for failure in failures:
        failed_row = session.execute(
            update(Job)
            .where(Job.id == failure.job_id, _running_under(owner))
            .values(**_failure_values(failure.category, failure.message, now))
            .returning(Job.document_id)
        ).first()
        if failed_row is not None:
            failed[failure.job_id] = failed_row[0]
    tallies: dict[str, list[int]] = {}
    for _, document_id in finished.values():
        tallies.setdefault(document_id, [0, 0])[0] += 1
    for document_id in failed.values():
        tallies.setdefault(document_id, [0, 0])[1] += 1
    done = [
        transition.finished_document
        for document_id, (n_succeeded, n_failed) in tallies.items()
        if (
            transition := _count_down_by(session, document_id, n_succeeded, n_failed)
        ).finished_document
    ]
    return SettledJobs(
        completed=[each.job_id for each in completed],
        failed=list(failed),
        finished_documents=[document_id for document_id in done if document_id],
    )


def _lock_in_order(session: Session, job_ids: Sequence[str]) -> None:
    """Lock the rows of many jobs in id order before updating them together (PostgreSQL; a
    no-op on SQLite), so a heartbeat renewing a run's leases and the run settling them never
    take their row locks in opposite orders and deadlock."""
    if job_ids:
        session.execute(
            select(Job.id).where(Job.id.in_(list(job_ids))).order_by(Job.id).with_for_update()
        )


def _running_under(owner: str) -> ColumnElement[bool]:
    return (Job.state == JobState.RUNNING) & (Job.lease_owner == owner)


def _success_values(usage: Usage, now: datetime) -> dict[str, Any]:
    budget = {} if usage.budget is None else {"budget": func.coalesce(Job.budget, usage.budget)}
    return {
        **budget,
        "state": JobState.SUCCEEDED,
        "lease_owner": None,
        "lease_expires_at": None,
        "error_category": None,
        "error_message": None,
        "tokens_in": usage.tokens_in,
        "tokens_out": usage.tokens_out,
        "latency_ms": usage.latency_ms,
        "model": usage.model,
        "fell_back": usage.fell_back,
        "model_calls": usage.model_calls,
        "finished_at": now,
        "updated_at": now,
    }


def _failure_values(category: ErrorCategory, message: str, now: datetime) -> dict[str, Any]:
    return {
        "state": JobState.FAILED,
        "lease_owner": None,
        "lease_expires_at": None,
        "error_category": category.value,
        "error_message": message,
        "finished_at": now,
        "updated_at": now,
    }


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


def release_jobs(
    session: Session,
    job_ids: Sequence[str],
    owner: str,
    category: ErrorCategory,
    message: str,
    *,
    charged: bool = True,
) -> list[str]:
    """`release_job` for many running jobs of `owner` in one statement; with `charged=False`
    the attempt their claim counted is given back (they did not cause what stopped them).
    Returns the released ids."""
    if not job_ids:
        return []
    now = utcnow()
    released = session.scalars(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.state == JobState.RUNNING, Job.lease_owner == owner)
        .values(
            state=JobState.QUEUED,
            lease_owner=None,
            lease_expires_at=None,
            attempts=Job.attempts if charged else Job.attempts - 1,
            error_category=category.value,
            error_message=message,
            enqueued_at=now,
            updated_at=now,
        )
        .returning(Job.id)
    ).all()
    return list(released)


def leave_run(session: Session, job_id: str) -> None:
    """Take a job out of its run: from now on it is claimed and run alone (a page that stopped
    its run is isolated on its next attempt)."""
    session.execute(update(Job).where(Job.id == job_id).values(run_id=None))


def requeue_finished_job(
    session: Session, job_id: str, document_id: str, tier: str, queue: str, budget: int | None
) -> str | None:
    """Reprocess: a succeeded or failed job of `document_id` back to queued on (tier, queue,
    budget), attempts, lease, error and usage reset, its extraction deleted. Guarded: a job in
    any other state, or of another document, is left alone (None); else its previous state.
    The caller holds the document's row and fixes its counters in the same transaction."""
    finished = [JobState.SUCCEEDED.value, JobState.FAILED.value]
    previous = session.scalar(
        select(Job.state).where(
            Job.id == job_id, Job.document_id == document_id, Job.state.in_(finished)
        )
    )
    if previous is None:
        return None
    now = utcnow()
    moved = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == previous)
        .values(
            state=JobState.QUEUED.value,
            tier=tier,
            queue=queue,
            budget=budget,
            attempts=0,
            lease_owner=None,
            lease_expires_at=None,
            enqueued_at=now,
            waiting_reason=None,
            run_id=None,
            error_category=None,
            error_message=None,
            tokens_in=None,
            tokens_out=None,
            latency_ms=None,
            model=None,
            model_calls=None,
            fell_back=False,
            started_at=None,
            finished_at=None,
            updated_at=now,
        )
        .returning(Job.id)
    ).first()
    if moved is None:
        return None
    session.execute(delete(Extraction).where(Extraction.job_id == job_id))
    return previous


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


def jobs_in_runs(session: Session, run_ids: Sequence[str]) -> list[str]:
    """The ids of the jobs that belong to the given runs, whatever their state."""
    if not run_ids:
        return []
    return list(session.scalars(select(Job.id).where(Job.run_id.in_(list(run_ids)))))


def queued_work_of_document(session: Session, document_id: str) -> RecordedChunks:
    """The messages that send the document's queued jobs again: one per job run they belong
    to, one per job outside a run."""
    rows = session.execute(
        select(Job.id, Job.queue, Job.run_id)
        .where(Job.document_id == document_id, Job.state == JobState.QUEUED)
        .order_by(Job.seq)
    ).all()
    return RecordedChunks(
        jobs=[(job_id, queue) for job_id, queue, run_id in rows if run_id is None],
        runs=list(
            dict.fromkeys((run_id, queue) for _, queue, run_id in rows if run_id is not None)
        ),
        job_ids=[job_id for job_id, _, _ in rows],
    )


def queue_of_job(session: Session, job_id: str) -> str | None:
    """The queue a job runs on; None for an unknown job."""
    return session.scalar(select(Job.queue).where(Job.id == job_id))


def _count_down(session: Session, document_id: str, *, succeeded: bool) -> Transition:
    return _count_down_by(session, document_id, int(succeeded), int(not succeeded))


def _count_down_by(session: Session, document_id: str, succeeded: int, failed: int) -> Transition:
    """Count a document down by jobs that reached a terminal state; the transition that
    reaches zero finishes it (done, partial or failed)."""
    now = utcnow()
    remaining, n_succeeded, n_failed, n_total, children_pending, children_total, children_failed = (
        session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(
                jobs_pending=Document.jobs_pending - (succeeded + failed),
                jobs_succeeded=Document.jobs_succeeded + succeeded,
                jobs_failed=Document.jobs_failed + failed,
                updated_at=now,
            )
            .returning(
                Document.jobs_pending,
                Document.jobs_succeeded,
                Document.jobs_failed,
                Document.jobs_total,
                Document.children_pending,
                Document.children_total,
                Document.children_failed,
            )
        ).one()
    )
    if remaining > 0 or children_pending > 0:
        # A container also waits for its members: the last of them finishes it.
        return Transition(applied=True)
    values = finished_values(
        n_total, n_succeeded, n_failed, children_total, children_failed, now=now
    )
    session.execute(update(Document).where(Document.id == document_id).values(**values))
    return Transition(applied=True, finished_document=document_id)
