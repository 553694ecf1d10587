"""Chunking a container (archive, e-mail): where its isolated child writes the members, and
recording them as member documents in the transaction that records the container's own jobs.

The members are written by the child into a folder of the blob store's `incoming/` area (on
the same filesystem as the store, so placing a member is a rename). One transaction then locks
the members' blobs, creates (or finds, same bytes in the collection) a document per member,
links every member, records the container's own jobs (an e-mail's body) and decides whether
the container waits for members. The new members' chunking and the jobs are sent after the
commit; a failed transaction leaves no member blob behind.
"""

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from pipeline.sources.expansion import ContainerLimits, ExtractedMember, RefusedMember
from schemas.settings import Settings
from storage.blobs import StagedBlob, StoredBlob
from storage.database import transaction
from storage.documents import record_chunks
from storage.families import (
    FamilyRecord,
    MemberEntry,
    family_usage,
    lock_member_blobs,
    record_members,
    remove_unreferenced,
    settle_recorded_container,
)
from storage.models import Document
from workers.context import WorkerContext
from workers.finalize_document import finalize_document
from workers.isolation.messages import DocumentPlan, PlanRequest

__all__ = [
    "ContainerRequest",
    "container_limits",
    "container_request",
    "plan_in_staging",
    "record_container",
]


@dataclass(frozen=True)
class ContainerRequest:
    """What a plan request needs to expand a container (used only if the file is one)."""

    expand_into: Path | None
    limits: ContainerLimits
    name_hint: str


def container_limits(settings: Settings, used: tuple[int, int] = (0, 0)) -> ContainerLimits:
    """The container limits the settings give, less what the container's family (members of
    the same upload, `used`: count and bytes) has taken already."""
    members, size = used
    scope = "the container"
    if members or size:
        scope = f"the container, with {members} members ({size} bytes) of its family already,"
    return ContainerLimits(
        max_members=max(settings.container_max_members - members, 0),
        max_total_bytes=max(settings.container_max_total_bytes - size, 1),
        max_ratio=settings.container_max_ratio,
        max_depth=settings.container_max_depth,
        scope=scope,
    )


def container_request(
    context: WorkerContext, session: Session, document: Document
) -> ContainerRequest:
    """A fresh staging folder for the document's members (none when the document is nested as
    deep as containers are expanded), and the limits its family has left."""
    settings = context.settings
    expand_into = None
    if document.depth < settings.container_max_depth:
        name = f"members-{document.id}-{uuid.uuid4().hex}"
        expand_into = context.blobs.root / "incoming" / name
    limits = container_limits(settings, family_usage(session, document))
    return ContainerRequest(expand_into, limits, document.filename or "")


def plan_in_staging(context: WorkerContext, request: PlanRequest) -> DocumentPlan:
    """Plan the document; whatever way planning fails, its staging folder goes with it."""
    try:
        return context.isolation.plan_document(request)
    except BaseException:
        _clear(request.expand_into)
        raise


def record_container(
    context: WorkerContext,
    document_id: str,
    owner: str,
    planned: DocumentPlan,
    staging: Path | None,
) -> list[str]:
    """Record the container's members and own jobs in one transaction, then send the members'
    chunking and the jobs; returns the container's runnable job ids."""
    entries = [_entry(member) for member in planned.members]
    family = FamilyRecord()
    try:
        with transaction(context.sessions) as session:
            lock_member_blobs(session, entries)
            record_members(session, context.blobs, document_id, owner, entries, into=family)
            recorded = record_chunks(
                session,
                document_id,
                owner,
                media_type=planned.media_type.value,
                plans=planned.plans,
                run_pages=context.settings.local_run_pages,
            )
            finished = family.recorded and settle_recorded_container(session, document_id)
    except BaseException:
        remove_unreferenced(context.sessions, context.blobs, family.placed)
        raise
    finally:
        _clear(staging)
    context.enqueuer.enqueue_documents(family.new_children)
    context.enqueuer.enqueue_jobs(recorded.jobs)
    context.enqueuer.enqueue_runs(recorded.runs)
    if finished:
        finalize_document(context, document_id)
    return recorded.job_ids


def _entry(member: ExtractedMember | RefusedMember) -> MemberEntry:
    if isinstance(member, ExtractedMember):
        staged = StagedBlob(StoredBlob(member.sha256, member.size_bytes), member.file)
        return MemberEntry(member.path, staged=staged)
    return MemberEntry(member.path, error_category=member.category, error_message=member.message)


def _clear(staging: Path | None) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
