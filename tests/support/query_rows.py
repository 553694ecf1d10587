"""Ledger rows written straight through the ORM for the query tests: documents, one job per
extraction, extractions and results with chosen data and timestamps."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Document, DocumentResult, Extraction, Job, new_id

BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def add_document(
    session: Session,
    *,
    collection: str = "c",
    status: str = "done",
    schema: str | None = None,
    created_at: datetime = BASE_TIME,
) -> Document:
    """A document row (no blob: the listings never read one)."""
    document_id = new_id()
    document = Document(
        id=document_id,
        collection=collection,
        filename=f"{document_id[:8]}.pdf",
        sha256=hashlib.sha256(document_id.encode()).hexdigest(),
        size_bytes=1,
        dedupe_key=hashlib.sha256(document_id.encode()).hexdigest(),
        media_type="application/pdf",
        options={"schema": schema} if schema else {},
        status=status,
        created_at=created_at,
        updated_at=created_at,
    )
    session.add(document)
    session.flush()
    return document


def add_extraction(
    session: Session,
    document: Document,
    data: dict[str, Any],
    *,
    seq: int,
    kind: str = "page_content",
    engine: str = "pymupdf-text",
    created_at: datetime | None = None,
) -> str:
    """An extraction (and the succeeded job it belongs to); its id."""
    job = Job(
        id=new_id(),
        document_id=document.id,
        seq=seq,
        kind="pdf_page",
        tier="local",
        queue="local",
        chunk={"seq": seq},
        state="succeeded",
    )
    session.add(job)
    session.flush()
    extraction = Extraction(
        id=new_id(),
        job_id=job.id,
        document_id=document.id,
        seq=seq,
        kind=kind,
        engine=engine,
        data=data,
        provenance={},
        created_at=created_at or BASE_TIME + timedelta(seconds=seq),
    )
    session.add(extraction)
    session.flush()
    return extraction.id


def add_result(
    session: Session,
    document: Document,
    data: dict[str, Any],
    *,
    kind: str = "document_pages",
    created_at: datetime = BASE_TIME,
    updated_at: datetime | None = None,
) -> str:
    """A document result; its id."""
    result = DocumentResult(
        id=new_id(),
        document_id=document.id,
        kind=kind,
        data=data,
        created_at=created_at,
        updated_at=updated_at or created_at,
    )
    session.add(result)
    session.flush()
    return result.id
