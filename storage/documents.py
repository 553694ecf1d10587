"""Repository functions for documents: intake, chunk recording, listing and counting."""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.enums import DocumentStatus, ErrorCategory, JobState
from schemas.listing_query import PageAfter
from schemas.plans import JobPlan
from storage.blobs import StoredBlob
from storage.extraction_schemas import current_schema_version
from storage.listing_filters import newest_after
from storage.models import Document, DocumentMember, Job, new_id
from storage.runs import RecordedChunks, assign_runs
from storage.types import utcnow
from storage.webhook_events import record_document_events


@dataclass(frozen=True)
class JobTally:
    """How many jobs of a document are in each state."""

    total: int = 0
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    waiting: int = 0

    @classmethod
    def of_states(cls, by_state: Mapping[str, int]) -> "JobTally":
        """The tally of (job state -> count) pairs; absent states count zero."""
        return cls(
            total=sum(by_state.values()),
            queued=by_state.get(JobState.QUEUED, 0),
            running=by_state.get(JobState.RUNNING, 0),
            succeeded=by_state.get(JobState.SUCCEEDED, 0),
            failed=by_state.get(JobState.FAILED, 0),
            waiting=by_state.get(JobState.WAITING, 0),
        )


def dedupe_key(sha256: str, options: dict[str, Any]) -> str:
    """Same bytes with the same options give the same key (per collection)."""
    canonical = json.dumps(options, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{sha256}\n{canonical}".encode()).hexdigest()


def create_document(
    session: Session,
    *,
    blob: StoredBlob,
    collection: str,
    filename: str | None,
    options: dict[str, Any],
) -> tuple[Document, bool]:
    """Insert a queued document, or return the existing one for the same content and options.

    Returns (document, created). Concurrent identical intakes resolve to one row through the
    unique constraint on (collection, dedupe_key).
    """
    key = dedupe_key(blob.sha256, options)
    existing = _find_duplicate(session, collection, key)
    if existing is not None:
        return existing, False
    document = Document(
        collection=collection,
        filename=filename,
        sha256=blob.sha256,
        size_bytes=blob.size_bytes,
        dedupe_key=key,
        options=options,
        schema_version=current_schema_version(session, options.get("schema")),
        status=DocumentStatus.QUEUED,
        enqueued_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(document)
    except IntegrityError:
        existing = _find_duplicate(session, collection, key)
        if existing is None:
            raise
        return existing, False
    return document, True


def _find_duplicate(session: Session, collection: str, key: str) -> Document | None:
    return session.scalars(
        select(Document).where(Document.collection == collection, Document.dedupe_key == key)
    ).first()


def get_document(session: Session, document_id: str) -> Document | None:
    """Load one document by id."""
    return session.get(Document, document_id)


def claim_for_chunking(
    session: Session, document_id: str, owner: str, lease_seconds: float, *, max_attempts: int
) -> int | None:
    """Take the chunking lease of a queued document and count an attempt; returns the attempt's
    number, or None when the document is not claimable (another worker holds it, or it is no
    longer queued).

    The same owner takes its own lease back without counting another attempt (a task retried
    after a database hiccup). A document whose `max_attempts` chunking attempts are used up and
    whose lease is free again (its worker died each time) is failed as `worker_lost` instead.
    """
    now = utcnow()
    free = or_(Document.lease_owner.is_(None), Document.lease_expires_at < now)
    gave_up = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.QUEUED,
            Document.attempts >= max_attempts,
            free,
        )
        .values(**_worker_lost_values(now))
        .returning(Document.id)
    ).first()
    if gave_up is not None:
        record_document_events(session, document_id)
        return None
    claimed = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.QUEUED,
            or_(free, Document.lease_owner == owner),
        )
        .values(
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=case(
                (Document.lease_owner == owner, Document.attempts), else_=Document.attempts + 1
            ),
            updated_at=now,
        )
        .returning(Document.attempts)
    ).first()
    return None if claimed is None else int(claimed[0])


def _worker_lost_values(now: datetime) -> dict[str, Any]:
    """A queued document whose chunking worker kept dying ends failed."""
    return {
        "status": DocumentStatus.FAILED,
        "error_category": ErrorCategory.WORKER_LOST.value,
        "error_message": (
            "the worker chunking this document stopped responding; giving up after "
            + Document.attempts.cast(String)
            + " attempts"
        ),
        "lease_owner": None,
        "lease_expires_at": None,
        "finished_at": now,
        "updated_at": now,
    }


def renew_chunking_lease(
    session: Session, document_id: str, owner: str, lease_seconds: float
) -> bool:
    """Extend the chunking lease of a document being chunked; False if it is no longer ours."""
    renewed = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.QUEUED,
            Document.lease_owner == owner,
        )
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
        .returning(Document.id)
    ).first()
    return renewed is not None


def release_chunking(
    session: Session, document_id: str, owner: str, *, category: ErrorCategory, message: str
) -> bool:
    """Give the chunking lease back after an attempt that may succeed if tried again; the error
    stays on the (still queued) document as a note. False if the lease is no longer ours."""
    now = utcnow()
    released = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.QUEUED,
            Document.lease_owner == owner,
        )
        .values(
            lease_owner=None,
            lease_expires_at=None,
            error_category=category.value,
            error_message=message,
            enqueued_at=now,
            updated_at=now,
        )
        .returning(Document.id)
    ).first()
    return released is not None


def take_back_chunking_leases(
    session: Session, owners: Iterable[str], max_attempts: int
) -> tuple[list[str], list[str]]:
    """The chunking leases held by `owners`, known dead, are taken back at once: a document with
    attempts left is queued again (returned first), one without is failed as `worker_lost`."""
    owner_list = list(owners)
    if not owner_list:
        return [], []
    now = utcnow()
    held = (Document.status == DocumentStatus.QUEUED) & Document.lease_owner.in_(owner_list)
    failed = session.execute(
        update(Document)
        .where(held, Document.attempts >= max_attempts)
        .values(**_worker_lost_values(now))
        .returning(Document.id)
    ).all()
    for (failed_id,) in failed:
        record_document_events(session, failed_id)
    released = session.execute(
        update(Document)
        .where(held)
        .values(
            lease_owner=None,
            lease_expires_at=None,
            error_category=ErrorCategory.WORKER_LOST.value,
            error_message="the previous worker stopped while chunking; the document was re-queued",
            enqueued_at=now,
            updated_at=now,
        )
        .returning(Document.id)
    ).all()
    return [row[0] for row in released], [row[0] for row in failed]


def record_chunks(
    session: Session,
    document_id: str,
    owner: str,
    *,
    media_type: str,
    plans: Iterable[JobPlan],
    run_pages: int = 1,
) -> RecordedChunks:
    """Insert one job per plan and move the document to processing.

    A plan with a waiting reason is parked as waiting, the others are queued on their queue;
    consecutive queued local-tier jobs share a run of at most `run_pages` (`storage/runs.py`).
    Returns the messages to send after commit (none when the chunking lease was lost).
    """
    now = utcnow()
    job_rows: list[dict[str, Any]] = []
    for plan in plans:
        job_rows.append(
            {
                "id": new_id(),
                "document_id": document_id,
                "seq": plan.chunk.seq,
                "kind": plan.chunk.kind.value,
                "tier": plan.tier.value,
                "queue": plan.queue,
                "budget": plan.budget,
                "chunk": plan.chunk.model_dump(mode="json", exclude_none=True),
                "state": (JobState.WAITING if plan.waiting_reason else JobState.QUEUED).value,
                "waiting_reason": plan.waiting_reason,
                "run_id": None,
                "attempts": 0,
                "enqueued_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    moved = session.execute(
        update(Document)
        .where(
            Document.id == document_id,
            Document.status == DocumentStatus.QUEUED,
            Document.lease_owner == owner,
        )
        .values(
            media_type=media_type,
            page_count=len(job_rows),
            jobs_total=len(job_rows),
            jobs_pending=len(job_rows),
            # Nothing to do (silent audio): the document is finished as it is chunked.
            status=DocumentStatus.DONE if not job_rows else DocumentStatus.PROCESSING,
            finished_at=now if not job_rows else None,
            error_category=None,
            error_message=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
        )
        .returning(Document.id)
    ).first()
    if moved is None:
        return RecordedChunks()
    recorded = assign_runs(job_rows, run_pages)
    if job_rows:
        session.execute(insert(Job), job_rows)
    return recorded


def fail_document(
    session: Session,
    document_id: str,
    *,
    category: ErrorCategory,
    message: str,
    media_type: str | None = None,
    owner: str | None = None,
) -> bool:
    """Fail a queued document before any job exists (unreadable, unsupported, encrypted, empty,
    or out of chunking attempts); with `owner`, only while that owner holds its lease."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": DocumentStatus.FAILED,
        "error_category": category.value,
        "error_message": message,
        "lease_owner": None,
        "lease_expires_at": None,
        "finished_at": now,
        "updated_at": now,
    }
    if media_type is not None:
        values["media_type"] = media_type
    conditions = [Document.id == document_id, Document.status == DocumentStatus.QUEUED]
    if owner is not None:
        conditions.append(Document.lease_owner == owner)
    failed = session.execute(
        update(Document).where(*conditions).values(**values).returning(Document.id)
    ).first()
    if failed is None:
        return False
    record_document_events(session, document_id)
    return True


def job_counts(session: Session, document_ids: list[str]) -> dict[str, JobTally]:
    """Jobs per state for each document, in one query."""
    by_document: dict[str, dict[str, int]] = {document_id: {} for document_id in document_ids}
    if document_ids:
        rows = session.execute(
            select(Job.document_id, Job.state, func.count())
            .where(Job.document_id.in_(document_ids))
            .group_by(Job.document_id, Job.state)
        )
        for document_id, state, count in rows:
            by_document[document_id][state] = count
    return {
        document_id: JobTally.of_states(by_state) for document_id, by_state in by_document.items()
    }


def list_documents(
    session: Session,
    *,
    status: DocumentStatus | None,
    collection: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
    collections: frozenset[str] | None = None,
    parent_id: str | None = None,
    top_level: bool = False,
) -> list[Document]:
    """Newest first, keyset-paginated on (created_at, id); only `collections` when given, only
    the members of container `parent_id`, or only uploads (`top_level`)."""
    query = select(Document)
    if parent_id is not None:
        members = select(DocumentMember.child_id).where(DocumentMember.parent_id == parent_id)
        query = query.where(Document.id.in_(members))
    if top_level:
        query = query.where(Document.depth == 0)
    if status is not None:
        query = query.where(Document.status == status)
    if collection is not None:
        query = query.where(Document.collection == collection)
    if collections is not None:
        query = query.where(Document.collection.in_(sorted(collections)))
    if after is not None:
        # A row-value comparison: ix_documents_created_id seeks straight to the page.
        query = query.where(newest_after(Document.created_at, Document.id, PageAfter(*after)))
    query = query.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit)
    return list(session.scalars(query))


def stale_queued_documents(
    session: Session, older_than_seconds: float, sent_since: datetime | None = None
) -> list[str]:
    """Queued documents, not being chunked, last sent more than `older_than_seconds` ago or
    (with `sent_since`) at or after that moment, a broker outage: their chunking message may be
    lost. Stamps them sent now."""
    now = utcnow()
    cutoff = now - timedelta(seconds=older_than_seconds)
    lost = or_(Document.enqueued_at.is_(None), Document.enqueued_at < cutoff)
    if sent_since is not None:
        lost = or_(lost, (Document.enqueued_at >= sent_since) & (Document.enqueued_at < now))
    rows = session.execute(
        update(Document)
        .where(
            Document.status == DocumentStatus.QUEUED,
            lost,
            or_(Document.lease_owner.is_(None), Document.lease_expires_at < now),
        )
        .values(enqueued_at=now, lease_owner=None, lease_expires_at=None)
        .returning(Document.id)
    )
    return [row[0] for row in rows]
