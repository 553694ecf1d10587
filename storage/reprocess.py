"""Reprocessing a finished document: its result kept in the history, the affected jobs queued
again with the new options, the document back to processing; one transaction."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas.enums import TERMINAL_DOCUMENT_STATUSES, ChunkKind, DocumentStatus, JobState, Tier
from schemas.reprocess import ReprocessIn, ResultHistoryItem, plan_change
from schemas.tasks import queue_for
from storage.extraction_schemas import get_schema, get_schema_version
from storage.ledger import requeue_finished_job
from storage.models import Document, DocumentResultHistory, Job
from storage.results import get_document_result
from storage.types import utcnow

__all__ = ["Refused", "Reprocessed", "reprocess_document", "result_history"]


@dataclass(frozen=True)
class Reprocessed:
    """The jobs to send (job id, queue) once the transaction commits."""

    jobs: list[tuple[str, str]]


@dataclass(frozen=True)
class Refused:
    """Why the document cannot be reprocessed (an HTTP status and an error code)."""

    status: int
    code: str
    message: str


def reprocess_document(
    session: Session, document_id: str, request: ReprocessIn
) -> Reprocessed | Refused:
    """Queue the document's affected jobs again (see `schemas.reprocess.plan_change`)."""
    document = session.scalars(
        select(Document).where(Document.id == document_id).with_for_update()
    ).first()
    if document is None:
        return Refused(404, "not_found", f"document {document_id} not found")
    if document.status not in TERMINAL_DOCUMENT_STATUSES:
        return Refused(409, "not_finished", f"document {document_id} is still {document.status}")
    if document.children_total > 0 or document.jobs_total == 0:
        return Refused(
            409,
            "not_reprocessable",
            f"document {document_id} has no jobs of its own to run again (a container, or a "
            "document that failed before it was chunked)",
        )
    schema = request.schema_name or document.options.get("schema")
    version = _schema_version(session, schema, request.schema_version)
    if isinstance(version, Refused):
        return version
    jobs = list(
        session.scalars(
            select(Job).where(Job.document_id == document_id).order_by(Job.seq).with_for_update()
        )
    )
    pinned = document.options.get("tier") is not None
    changes = [
        (job, plan_change(ChunkKind(job.kind), Tier(job.tier), job.budget, request, schema, pinned))
        for job in jobs
    ]
    rerun = [(job, change) for job, change in changes if change.rerun]
    if not rerun:
        return Refused(
            409,
            "nothing_to_reprocess",
            "no job of this document would change: ask for a schema, a tier or a budget",
        )
    _keep_in_history(session, document)
    sent: list[tuple[str, str]] = []
    succeeded = failed = 0
    for job, change in rerun:
        queue = queue_for(change.tier, ChunkKind(job.kind))
        previous = requeue_finished_job(
            session, job.id, document_id, change.tier.value, queue, change.budget
        )
        if previous is None:
            continue
        succeeded += previous == JobState.SUCCEEDED.value
        failed += previous == JobState.FAILED.value
        sent.append((job.id, queue))
    document.options = _options(document.options, request, schema)
    document.schema_version = version
    document.status = DocumentStatus.PROCESSING
    document.jobs_pending = len(sent)
    document.jobs_succeeded -= succeeded
    document.jobs_failed -= failed
    document.finished_at = None
    document.error_category = document.error_message = None
    document.enqueued_at = utcnow()
    session.flush()
    return Reprocessed(sent)


def _schema_version(session: Session, schema: Any, asked: int | None) -> int | Refused | None:
    """The version to extract with: the one asked for, else the schema's latest."""
    if not isinstance(schema, str):
        if asked is not None:
            return Refused(422, "invalid_options", "schema_version needs a schema")
        return None
    if asked is None:
        latest = get_schema(session, schema)
        if latest is None:
            return Refused(422, "unknown_schema", f"no schema is registered as {schema!r}")
        return latest.version
    if get_schema_version(session, schema, asked) is None:
        return Refused(422, "unknown_schema", f"schema {schema!r} has no version {asked}")
    return asked


def _keep_in_history(session: Session, document: Document) -> None:
    """Move the current result (if any) to the history, as it was."""
    result = get_document_result(session, document.id)
    if result is None:
        return
    named = result.data.get("schema") if isinstance(result.data, dict) else None
    session.add(
        DocumentResultHistory(
            document_id=document.id,
            generation=result.generation,
            kind=result.kind,
            data=result.data,
            schema_name=named.get("name") if isinstance(named, dict) else None,
            schema_version=named.get("version") if isinstance(named, dict) else None,
            created_at=result.updated_at or result.created_at,
        )
    )
    session.delete(result)
    session.flush()


def _options(options: dict[str, Any], request: ReprocessIn, schema: Any) -> dict[str, Any]:
    """The document's options for the new run (its dedupe key is left as it was)."""
    changed = dict(options)
    for key, value in (("schema", schema), ("tier", request.tier), ("budget", request.budget)):
        if value is not None:
            changed[key] = value.value if isinstance(value, Tier) else value
    return changed


def result_history(session: Session, document_id: str, limit: int) -> list[ResultHistoryItem]:
    """The document's replaced results, newest generation first."""
    rows = session.scalars(
        select(DocumentResultHistory)
        .where(DocumentResultHistory.document_id == document_id)
        .order_by(DocumentResultHistory.generation.desc())
        .limit(limit)
    )
    return [
        ResultHistoryItem(
            generation=row.generation,
            kind=row.kind,
            schema_name=row.schema_name,
            schema_version=row.schema_version,
            data=row.data,
            created_at=row.created_at,
            replaced_at=row.replaced_at,
        )
        for row in rows
    ]
