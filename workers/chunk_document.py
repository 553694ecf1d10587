"""Body of the chunk_document task: sniff the file, cut it into jobs, enqueue them."""

import logging
from collections.abc import Iterator

from pipeline.chunking import chunk_file
from pipeline.errors import PipelineError
from pipeline.routing import choose_tier
from pipeline.sniff import sniff_file
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType, Tier
from storage.database import transaction
from storage.documents import claim_for_chunking, fail_document, get_document, record_chunks
from workers.context import WorkerContext

logger = logging.getLogger(__name__)


def chunk_document(context: WorkerContext, document_id: str, owner: str) -> list[str]:
    """Create the jobs of a queued document and enqueue them; returns the new job ids.

    Returns [] when the document is unknown, already chunked, or being chunked elsewhere.
    A file that cannot be chunked fails the document with a categorised error.
    """
    settings = context.settings
    with transaction(context.sessions) as session:
        if not claim_for_chunking(session, document_id, owner, settings.lease_seconds):
            return []
        document = get_document(session, document_id)
        assert document is not None
        sha256 = document.sha256
        requested_tier = document.options.get("tier")
        requested_budget = document.options.get("budget")
    path = context.blobs.path_for(sha256)
    media_type = MediaType.UNKNOWN
    try:
        if not path.is_file():
            raise PipelineError(
                ErrorCategory.BLOB_MISSING, f"the stored file {sha256} is missing from the store"
            )
        media_type = sniff_file(path)
        chunks = list(_routed(chunk_file(path, media_type), requested_tier, requested_budget))
    except PipelineError as error:
        logger.info("document %s failed to chunk: %s", document_id, error)
        with transaction(context.sessions) as session:
            fail_document(
                session,
                document_id,
                category=error.category,
                message=error.message,
                media_type=media_type.value,
            )
        return []
    with transaction(context.sessions) as session:
        job_ids = record_chunks(
            session, document_id, owner, media_type=media_type.value, chunks=chunks
        )
    context.enqueuer.enqueue_jobs(
        [(job_id, tier.value) for job_id, (_, tier, _) in zip(job_ids, chunks, strict=False)]
    )
    return job_ids


def _routed(
    chunks: Iterator[ChunkDescriptor], requested_tier: str | None, requested_budget: int | None
) -> Iterator[tuple[ChunkDescriptor, Tier, int | None]]:
    for chunk in chunks:
        yield chunk, choose_tier(chunk, requested_tier), requested_budget
