"""Building documents with jobs directly through the repositories."""

import io

from sqlalchemy.orm import Session, sessionmaker

from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, Tier
from schemas.plans import JobPlan
from storage.blobs import BlobStore
from storage.database import transaction
from storage.documents import claim_for_chunking, record_chunks
from storage.intake import take_in


def document_with_jobs(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    pages: int,
    content: bytes = b"%PDF-",
    collection: str = "c",
) -> tuple[str, list[str]]:
    """A processing document of `collection` with `pages` queued local jobs."""
    intake = take_in(
        sessions, blobs, io.BytesIO(content), filename="x.pdf", collection=collection, options={}
    )
    document_id = intake.document.id
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "chunker", 60, max_attempts=3)
        plans = [
            JobPlan(
                chunk=ChunkDescriptor(seq=i, kind=ChunkKind.PDF_PAGE, page_number=i + 1),
                tier=Tier.LOCAL,
                budget=None,
                waiting_reason=None,
            )
            for i in range(pages)
        ]
        runnable = record_chunks(
            session, document_id, "chunker", media_type="application/pdf", plans=plans
        )
    return document_id, runnable.job_ids
