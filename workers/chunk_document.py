"""Body of the chunk_document task: sniff the file, cut it into jobs, enqueue them."""

import logging

from pipeline.errors import PipelineError
from pipeline.planning.routing import RoutingRequest
from schemas.enums import ErrorCategory, MediaType
from storage.database import transaction
from storage.documents import claim_for_chunking, fail_document, get_document, record_chunks
from workers.context import WorkerContext
from workers.finalize_document import finalize_document
from workers.isolation.messages import ChunkingError, PlanRequest
from workers.tiers import configured_tiers

logger = logging.getLogger(__name__)


def chunk_document(context: WorkerContext, document_id: str, owner: str) -> list[str]:
    """Create the jobs of a queued document and enqueue the runnable ones; returns their ids.

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
        options = dict(document.options)
    request = RoutingRequest(tier=options.get("tier"), schema=options.get("schema"))
    path = context.blobs.path_for(sha256)
    media_type = MediaType.UNKNOWN
    try:
        if not path.is_file():
            raise PipelineError(
                ErrorCategory.BLOB_MISSING, f"the stored file {sha256} is missing from the store"
            )
        planned = context.isolation.plan_document(
            PlanRequest(path, request, options.get("budget"), configured_tiers(settings))
        )
        media_type, plans = planned.media_type, planned.plans
    except PipelineError as error:
        if isinstance(error, ChunkingError):
            media_type = error.media_type
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
        runnable = record_chunks(
            session, document_id, owner, media_type=media_type.value, plans=plans
        )
    context.enqueuer.enqueue_jobs(runnable)
    if not plans:
        finalize_document(context, document_id)
    return [job_id for job_id, _ in runnable]
