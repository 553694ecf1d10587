"""Repository functions for document-level results."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import DocumentResult, Extraction, Job


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
) -> DocumentResult:
    """Insert or replace the document's result (finalisation may run more than once)."""
    existing = get_document_result(session, document_id)
    if existing is None:
        result = DocumentResult(document_id=document_id, kind=kind, data=data)
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


def get_document_result(session: Session, document_id: str) -> DocumentResult | None:
    """The document's result, if it was assembled."""
    return session.scalars(
        select(DocumentResult).where(DocumentResult.document_id == document_id)
    ).first()
