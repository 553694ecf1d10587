"""Read-only queries over jobs and extractions: one job, a document's jobs and extractions in
page order (the filtered listing is storage/extraction_listing.py)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Extraction, Job


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
