"""Repository functions for document-level results."""

from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schemas.enums import TERMINAL_DOCUMENT_STATUSES
from storage.models import Document, DocumentResult, DocumentResultHistory, Extraction, Job
from storage.types import utcnow


def job_rows_with_extractions(
    session: Session, document_id: str
) -> list[tuple[Job, Extraction | None]]:
    """Every job of a document in order, with its extraction when it has one."""
    rows = session.execute(
        select(Job, Extraction)
        .outerjoin(Extraction, Extraction.job_id == Job.id)
        .where(Job.document_id == document_id)
        .order_by(Job.seq)
    )
    return [(job, extraction) for job, extraction in rows]


def save_document_result(
    session: Session, document_id: str, kind: str, data: dict[str, Any]
) -> DocumentResult | None:
    """Insert or replace the document's result (finalisation may run more than once); None
    when the document was deleted (its row is locked first: it cannot go while this runs)."""
    alive = select(Document.id).where(Document.id == document_id).with_for_update()
    if session.scalar(alive) is None:
        return None
    existing = get_document_result(session, document_id)
    if existing is None:
        generation = _next_generation(session, document_id)
        result = DocumentResult(
            document_id=document_id, kind=kind, data=data, generation=generation
        )
        try:
            with session.begin_nested():
                session.add(result)
            return result
        except IntegrityError:
            existing = get_document_result(session, document_id)
            if existing is None:
                raise
    existing.kind = kind
    existing.data = data
    session.flush()
    return existing


def result_generation(session: Session, document_id: str) -> int:
    """The generation the document's result has or will have: the stored one's, else one
    more than the last kept in the history (1 when there is none)."""
    current = session.scalar(
        select(DocumentResult.generation).where(DocumentResult.document_id == document_id)
    )
    if current is not None:
        return current
    return _next_generation(session, document_id)


def _next_generation(session: Session, document_id: str) -> int:
    """The generation of a document's next result: one more than the last kept in the
    history (1 when there is none)."""
    last = session.scalar(
        select(func.max(DocumentResultHistory.generation)).where(
            DocumentResultHistory.document_id == document_id
        )
    )
    return (last or 0) + 1


def unfinalized_documents(session: Session, older_than_seconds: float) -> list[str]:
    """Finished documents with jobs but no result (their finaliser died): to assemble again."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    query = (
        select(Document.id)
        .outerjoin(DocumentResult, DocumentResult.document_id == Document.id)
        .where(
            Document.status.in_([status.value for status in TERMINAL_DOCUMENT_STATUSES]),
            or_(Document.jobs_total > 0, Document.children_total > 0),
            Document.finished_at < cutoff,
            DocumentResult.id.is_(None),
        )
        .limit(100)
    )
    return list(session.scalars(query))


def get_document_result(session: Session, document_id: str) -> DocumentResult | None:
    """The document's result, if it was assembled."""
    return session.scalars(
        select(DocumentResult).where(DocumentResult.document_id == document_id)
    ).first()
