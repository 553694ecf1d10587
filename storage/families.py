"""Families of documents: a container (archive, e-mail) and the member documents made of its
parts, linked by `document_members`.

A container finishes when its own jobs and all its members have. Members are documents like
any other: the same bytes are one document per collection (a duplicate attachment is processed
once and linked to every container holding it). Each member's end is counted on its container
once (`settled`), by whichever comes last of the member's finalisation and the container's
recording; both update the container's row, so PostgreSQL orders them and the later one sees
the other's count. A member already finished when its container is recorded is counted then.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from schemas.enums import TERMINAL_DOCUMENT_STATUSES, DocumentStatus, ErrorCategory
from storage.blob_refs import detach_unreferenced, lock_blob
from storage.blobs import BlobStore, StagedBlob
from storage.database import SessionFactory, transaction
from storage.documents import create_document
from storage.models import Document, DocumentMember
from storage.types import utcnow

__all__ = [
    "FamilyRecord",
    "MemberEntry",
    "finished_values",
    "lock_member_blobs",
    "record_members",
    "settle_member",
    "settle_recorded_container",
]

_FAILED_STATUSES = frozenset({DocumentStatus.FAILED.value, DocumentStatus.PARTIAL.value})


@dataclass(frozen=True)
class MemberEntry:
    """One member to record: its staged bytes, or (refused) its error."""

    path: str
    staged: StagedBlob | None = None
    error_category: ErrorCategory | None = None
    error_message: str | None = None


@dataclass
class FamilyRecord:
    """What recording a container's members did: the new member documents to chunk after the
    commit, and the digests placed (to undo if the transaction fails)."""

    recorded: bool = False
    new_children: list[str] = field(default_factory=list)
    placed: list[str] = field(default_factory=list)


def lock_member_blobs(session: Session, entries: Sequence[MemberEntry]) -> None:
    """Take the members' blob locks in digest order, before any row (deletion's order)."""
    digests = sorted({e.staged.blob.sha256 for e in entries if e.staged is not None})
    for sha256 in digests:
        lock_blob(session, sha256)


def record_members(
    session: Session,
    blobs: BlobStore,
    parent_id: str,
    owner: str,
    entries: Sequence[MemberEntry],
    into: FamilyRecord | None = None,
) -> FamilyRecord:
    """Create (or find) a document per extracted member, link every member to the container
    and set the container's member counters; the container must still be queued under
    `owner`'s chunking lease (else nothing is written). Blobs must be locked already.

    `into` collects the new members and placed blobs as they happen, so a caller whose
    transaction fails midway knows which blobs to take back."""
    parent = session.scalars(
        select(Document)
        .where(
            Document.id == parent_id,
            Document.status == DocumentStatus.QUEUED,
            Document.lease_owner == owner,
        )
        .with_for_update()
    ).first()
    record = into if into is not None else FamilyRecord()
    if parent is None:
        return record
    record.recorded = True
    ancestors = _ancestors(session, parent_id) | {parent_id}
    pending = failed = 0
    for position, entry in enumerate(entries):
        member = DocumentMember(
            parent_id=parent_id, position=position, member_path=entry.path, settled=True
        )
        child = _member_document(session, blobs, parent, entry, record)
        if child is not None and child.id in ancestors:
            member.error_category = ErrorCategory.CORRUPT_FILE.value
            member.error_message = "the member is the container itself or one that holds it"
        elif child is not None:
            member.child_id = child.id
            member.settled = child.status in TERMINAL_DOCUMENT_STATUSES
        else:
            member.error_category = (entry.error_category or ErrorCategory.INTERNAL).value
            member.error_message = entry.error_message
        if not member.settled:
            pending += 1
        elif member.error_category is not None or (child and child.status in _FAILED_STATUSES):
            failed += 1
        session.add(member)
    session.flush()
    parent.children_total = len(entries)
    parent.children_pending = pending
    parent.children_failed = failed
    session.flush()
    return record


def _member_document(
    session: Session, blobs: BlobStore, parent: Document, entry: MemberEntry, record: FamilyRecord
) -> Document | None:
    """The member's document: new (its bytes placed) or the collection's existing one (locked,
    so its end cannot slip between reading its status and linking it)."""
    if entry.staged is None:
        return None
    child, created = create_document(
        session,
        blob=entry.staged.blob,
        collection=parent.collection,
        filename=PurePosixPath(entry.path).name[:1000],
        options=dict(parent.options),
    )
    if created:
        child.depth = parent.depth + 1
        child.root_id = parent.root_id or parent.id
        session.flush()
        record.new_children.append(child.id)
        record.placed.append(entry.staged.blob.sha256)
        blobs.place(entry.staged)
        return child
    blobs.discard(entry.staged)
    locked = session.scalars(
        select(Document)
        .where(Document.id == child.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return locked


def _ancestors(session: Session, document_id: str) -> set[str]:
    """Every container holding the document, however deep."""
    found: set[str] = set()
    frontier = {document_id}
    while frontier:
        parents = set(
            session.scalars(
                select(DocumentMember.parent_id).where(DocumentMember.child_id.in_(frontier))
            )
        )
        frontier = parents - found
        found |= parents
    return found


def settle_recorded_container(session: Session, parent_id: str) -> bool:
    """After the container's own chunks were recorded (same transaction): it stays processing
    while members are pending, else finishes now. True when it finished."""
    parent = session.get(Document, parent_id, populate_existing=True)
    if parent is None or parent.children_total == 0:
        return False
    if parent.status == DocumentStatus.DONE and parent.jobs_total == 0:
        parent.status = DocumentStatus.PROCESSING
        parent.finished_at = None
        session.flush()
    return _finish_if_complete(session, parent_id)


def settle_member(session: Session, child_id: str) -> list[str]:
    """Count a finished member's end on each container still waiting for it; returns the
    containers that finished with it. A member not finished yet settles nothing."""
    status = session.scalar(select(Document.status).where(Document.id == child_id))
    if status not in TERMINAL_DOCUMENT_STATUSES:
        return []
    parents = list(
        session.scalars(
            update(DocumentMember)
            .where(DocumentMember.child_id == child_id, DocumentMember.settled.is_(False))
            .values(settled=True)
            .returning(DocumentMember.parent_id)
        )
    )
    failed = int(status in _FAILED_STATUSES)
    finished: list[str] = []
    for parent_id in sorted(parents):
        session.execute(
            update(Document)
            .where(Document.id == parent_id)
            .values(
                children_pending=Document.children_pending - 1,
                children_failed=Document.children_failed + failed,
                updated_at=utcnow(),
            )
        )
        if _finish_if_complete(session, parent_id):
            finished.append(parent_id)
    return finished


def _finish_if_complete(session: Session, parent_id: str) -> bool:
    row = session.execute(
        select(
            Document.jobs_total,
            Document.jobs_succeeded,
            Document.jobs_failed,
            Document.children_total,
            Document.children_failed,
        ).where(
            Document.id == parent_id,
            Document.status == DocumentStatus.PROCESSING,
            Document.jobs_pending == 0,
            Document.children_pending == 0,
        )
    ).first()
    if row is None:
        return False
    values = finished_values(*row, now=utcnow())
    moved = session.execute(
        update(Document)
        .where(Document.id == parent_id, Document.status == DocumentStatus.PROCESSING)
        .values(**values)
        .returning(Document.id)
    ).first()
    return moved is not None


def finished_values(
    jobs_total: int,
    jobs_succeeded: int,
    jobs_failed: int,
    children_total: int,
    children_failed: int,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The status and error of a document whose jobs and members have all ended.

    Without members: done, partial (some jobs failed) or failed (all did). A container never
    ends failed here: it was read, so a failed job or member makes it partial."""
    values: dict[str, Any] = {"finished_at": now, "updated_at": now}
    if jobs_failed == 0 and children_failed == 0:
        values["status"] = DocumentStatus.DONE
        return values
    values["error_category"] = ErrorCategory.PARTIAL_FAILURE.value
    if children_total == 0 and jobs_succeeded == 0:
        values["status"] = DocumentStatus.FAILED
        values["error_message"] = f"all {jobs_total} jobs failed; see the jobs for their errors"
        return values
    values["status"] = DocumentStatus.PARTIAL
    parts = []
    if jobs_failed:
        parts.append(f"{jobs_failed} of {jobs_total} jobs failed")
    if children_failed:
        parts.append(f"{children_failed} of {children_total} members failed")
    values["error_message"] = "; ".join(parts) + (
        "; see the jobs for their errors"
        if not children_failed
        else "; see the members for their errors"
    )
    return values


def unsettled_finished_members(session: Session, limit: int = 100) -> list[str]:
    """Finished members whose end was not counted on a container (their finaliser died)."""
    rows = session.scalars(
        select(DocumentMember.child_id)
        .join(Document, Document.id == DocumentMember.child_id)
        .where(
            DocumentMember.settled.is_(False),
            Document.status.in_([s.value for s in TERMINAL_DOCUMENT_STATUSES]),
        )
        .distinct()
        .limit(limit)
    )
    return [row for row in rows if row is not None]


def stalled_containers(session: Session, limit: int = 100) -> list[str]:
    """Containers with nothing pending that are still processing (a member was deleted, or the
    transaction that would have finished them died); each is finished by `finish_container`."""
    return list(
        session.scalars(
            select(Document.id)
            .where(
                Document.status == DocumentStatus.PROCESSING,
                Document.children_total > 0,
                Document.children_pending <= 0,
                Document.jobs_pending <= 0,
            )
            .limit(limit)
        )
    )


def finish_container(session: Session, parent_id: str) -> bool:
    """Finish a container with nothing pending; True when this call finished it."""
    return _finish_if_complete(session, parent_id)


def release_deleted_members(session: Session, child_ids: Sequence[str]) -> None:
    """Members about to be deleted stop being waited for: each container still counting one
    counts it as failed (its result is gone)."""
    if not child_ids:
        return
    rows = session.execute(
        update(DocumentMember)
        .where(DocumentMember.child_id.in_(list(child_ids)), DocumentMember.settled.is_(False))
        .values(settled=True)
        .returning(DocumentMember.parent_id)
    ).all()
    for (parent_id,) in sorted(rows):
        session.execute(
            update(Document)
            .where(Document.id == parent_id)
            .values(
                children_pending=Document.children_pending - 1,
                children_failed=Document.children_failed + 1,
            )
        )


def with_owned_members(session: Session, document_ids: Sequence[str]) -> list[str]:
    """The documents and, recursively, the member documents only they hold (a member also held
    by a container that stays, or uploaded on its own, stays)."""
    selected = set(document_ids)
    frontier = set(document_ids)
    while frontier:
        candidates = {
            child_id
            for child_id in session.scalars(
                select(DocumentMember.child_id)
                .join(Document, Document.id == DocumentMember.child_id)
                .where(DocumentMember.parent_id.in_(frontier), Document.depth > 0)
            )
            if child_id is not None and child_id not in selected
        }
        owned: set[str] = set()
        for child_id in candidates:
            holders = set(
                session.scalars(
                    select(DocumentMember.parent_id).where(DocumentMember.child_id == child_id)
                )
            )
            if holders <= selected:
                owned.add(child_id)
        selected |= owned
        frontier = owned
    return sorted(selected)


def members_of(session: Session, parent_id: str) -> list[tuple[DocumentMember, Document | None]]:
    """A container's members in order, with their documents (None for a refused member)."""
    rows = session.execute(
        select(DocumentMember, Document)
        .outerjoin(Document, Document.id == DocumentMember.child_id)
        .where(DocumentMember.parent_id == parent_id)
        .order_by(DocumentMember.position)
    )
    return [(member, document) for member, document in rows]


def container_of(session: Session, child_id: str) -> DocumentMember | None:
    """The first link holding a document (its container and path), if it is a member."""
    return session.scalars(
        select(DocumentMember)
        .where(DocumentMember.child_id == child_id)
        .order_by(DocumentMember.created_at, DocumentMember.parent_id, DocumentMember.position)
        .limit(1)
    ).first()


def containers_of(session: Session, child_ids: Sequence[str]) -> dict[str, DocumentMember]:
    """The first link of each of several documents (for listings)."""
    if not child_ids:
        return {}
    rows = session.scalars(
        select(DocumentMember)
        .where(DocumentMember.child_id.in_(list(child_ids)))
        .order_by(DocumentMember.created_at.desc(), DocumentMember.position.desc())
    )
    found: dict[str, DocumentMember] = {}
    for member in rows:
        if member.child_id is not None:
            found[member.child_id] = member
    return found


def family_usage(session: Session, document: Document) -> tuple[int, int]:
    """How many member documents the document's family (the upload it descends from) has
    created so far, and their bytes."""
    root = document.root_id or document.id
    count, size = session.execute(
        select(func.count(), func.coalesce(func.sum(Document.size_bytes), 0)).where(
            Document.root_id == root
        )
    ).one()
    return int(count), int(size)


def remove_unreferenced(sessions: SessionFactory, blobs: BlobStore, digests: Sequence[str]) -> None:
    """Undo member placements whose transaction failed: each blob goes unless a document
    holds it."""
    if not digests:
        return
    with transaction(sessions) as session:
        for sha256 in sorted(set(digests)):
            lock_blob(session, sha256)
        detached = detach_unreferenced(session, blobs, digests)
    for blob in detached:
        blobs.purge(blob)


def member_summaries(session: Session, parent_id: str) -> list[dict[str, Any]]:
    """A container's members as its result lists them: path, document, status, error."""
    summaries: list[dict[str, Any]] = []
    for member, child in members_of(session, parent_id):
        category = member.error_category or (child.error_category if child else None)
        message = member.error_message if member.error_category else None
        if message is None and child is not None:
            message = child.error_message
        summaries.append(
            {
                "position": member.position,
                "member_path": member.member_path,
                "document_id": member.child_id,
                "status": child.status if child else DocumentStatus.FAILED.value,
                "media_type": child.media_type if child else None,
                "error": None if category is None else {"category": category, "message": message},
            }
        )
    return summaries
