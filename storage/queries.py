"""Read-only queries over jobs and extractions: one job, a document's jobs and extractions in
page order, and the filtered, keyset-paginated extraction listing."""

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.models import Document, Extraction, Job


def get_job(session: Session, job_id: str) -> Job | None:
    """Load one job by id."""
    return session.get(Job, job_id)


def jobs_of_document(
    session: Session, document_id: str, *, after_seq: int, limit: int
) -> list[Job]:
    """The document's jobs in page order, `limit` of them after `after_seq`."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.document_id == document_id, Job.seq > after_seq)
            .order_by(Job.seq)
            .limit(limit)
        )
    )


def extractions_of_document(
    session: Session, document_id: str, *, after_seq: int, limit: int
) -> list[Extraction]:
    """The document's extractions in page order, `limit` of them after `after_seq`."""
    return list(
        session.scalars(
            select(Extraction)
            .where(Extraction.document_id == document_id, Extraction.seq > after_seq)
            .order_by(Extraction.seq)
            .limit(limit)
        )
    )


def list_extractions(
    session: Session,
    *,
    collection: str | None,
    kind: str | None,
    schema: str | None,
    engine: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
    collections: frozenset[str] | None = None,
) -> list[Extraction]:
    """Newest first, keyset-paginated on (created_at, id); each filter applies when given
    (collection: the document's; collections: the documents' among these; schema: schema
    extractions into that schema)."""
    query = select(Extraction)
    if collection is not None or collections is not None:
        query = query.join(Document, Document.id == Extraction.document_id)
    if collection is not None:
        query = query.where(Document.collection == collection)
    if collections is not None:
        query = query.where(Document.collection.in_(sorted(collections)))
    if kind is not None:
        query = query.where(Extraction.kind == kind)
    if schema is not None:
        query = query.where(Extraction.kind == "schema_extraction").where(
            Extraction.data["schema"].as_string() == schema
        )
    if engine is not None:
        query = query.where(Extraction.engine == engine)
    if after is not None:
        created_at, extraction_id = after
        query = query.where(
            or_(
                Extraction.created_at < created_at,
                (Extraction.created_at == created_at) & (Extraction.id < extraction_id),
            )
        )
    query = query.order_by(Extraction.created_at.desc(), Extraction.id.desc()).limit(limit)
    return list(session.scalars(query))
