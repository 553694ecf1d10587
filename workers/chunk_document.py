"""Body of the chunk_document task: sniff the file, cut it into jobs, enqueue them."""

import logging

from pipeline.errors import PipelineError
from pipeline.planning.routing import RoutingRequest
from schemas.enums import ErrorCategory, MediaType
from storage.database import transaction
from storage.documents import (
    claim_for_chunking,
    fail_document,
    get_document,
    record_chunks,
    release_chunking,
)
from workers.blob_files import converted_pdf_path
from workers.chunk_container import container_request, plan_in_staging, record_container
from workers.chunking_lease import ChunkingLease
from workers.context import WorkerContext
from workers.families import settle_family
from workers.finalize_document import finalize_document
from workers.isolation.messages import ChunkingError, PlanRequest
from workers.tiers import configured_tiers

logger = logging.getLogger(__name__)

PERMANENT_CATEGORIES = frozenset(
    {
        ErrorCategory.EMPTY_FILE,
        ErrorCategory.UNSUPPORTED_MEDIA,
        ErrorCategory.CORRUPT_FILE,
        ErrorCategory.ENCRYPTED,
        ErrorCategory.NO_PAGES,
        ErrorCategory.PAGE_ERROR,
        ErrorCategory.TOO_LARGE,
        ErrorCategory.BLOB_MISSING,
        ErrorCategory.INVALID_OPTIONS,
    }
)
"""What the file itself or its options decide: trying again gives the same answer. Any other
failure (a crash, a timeout, an unexpected exception) is tried again within the attempts."""


def chunk_document(context: WorkerContext, document_id: str, owner: str) -> list[str]:
    """Create the jobs of a queued document and enqueue the runnable ones; returns their ids.

    Returns [] when the document is unknown, already chunked, or being chunked elsewhere.
    A file that cannot be chunked fails the document with a categorised error; any other
    failure is tried again until the document's `max_attempts` chunking attempts are used.
    """
    settings = context.settings
    with transaction(context.sessions) as session:
        attempt = claim_for_chunking(
            session,
            document_id,
            owner,
            settings.lease_seconds,
            max_attempts=settings.max_attempts,
        )
        if attempt is None:
            return []
        document = get_document(session, document_id)
        assert document is not None
        sha256 = document.sha256
        options = dict(document.options)
        container = container_request(context, session, document)
    request = RoutingRequest(tier=options.get("tier"), schema=options.get("schema"))
    path = context.blobs.path_for(sha256)
    media_type = MediaType.UNKNOWN
    lease = ChunkingLease(context.sessions, document_id, owner, settings.lease_seconds).start()
    try:
        if not path.is_file():
            raise PipelineError(
                ErrorCategory.BLOB_MISSING, f"the stored file {sha256} is missing from the store"
            )
        planned = plan_in_staging(
            context,
            PlanRequest(
                path,
                request,
                options.get("budget"),
                configured_tiers(settings),
                expand_into=container.expand_into,
                limits=container.limits,
                name_hint=container.name_hint,
                converted_pdf=converted_pdf_path(context.blobs, sha256),
            ),
        )
        media_type, plans = planned.media_type, planned.plans
    except PipelineError as error:
        if isinstance(error, ChunkingError):
            media_type = error.media_type
        _record_failure(context, document_id, owner, attempt, error, media_type)
        return []
    except Exception as exc:
        logger.exception("chunking document %s raised", document_id)
        unexpected = PipelineError(
            ErrorCategory.INTERNAL, f"unexpected {type(exc).__name__}: {exc}"
        )
        _record_failure(context, document_id, owner, attempt, unexpected, media_type)
        return []
    finally:
        lease.stop()
    if planned.container:
        return record_container(context, document_id, owner, planned, container.expand_into)
    with transaction(context.sessions) as session:
        recorded = record_chunks(
            session,
            document_id,
            owner,
            media_type=media_type.value,
            plans=plans,
            run_pages=settings.local_run_pages,
        )
    context.enqueuer.enqueue_jobs(recorded.jobs)
    context.enqueuer.enqueue_runs(recorded.runs)
    if not plans:
        finalize_document(context, document_id)
    return recorded.job_ids


def _record_failure(
    context: WorkerContext,
    document_id: str,
    owner: str,
    attempt: int,
    error: PipelineError,
    media_type: MediaType,
) -> None:
    """Fail the document, or give it back to be chunked again while attempts are left."""
    max_attempts = context.settings.max_attempts
    if error.category not in PERMANENT_CATEGORIES and attempt < max_attempts:
        logger.warning(
            "document %s: chunking attempt %d of %d failed, trying again: %s",
            document_id,
            attempt,
            max_attempts,
            error,
        )
        with transaction(context.sessions) as session:
            released = release_chunking(
                session, document_id, owner, category=error.category, message=error.message
            )
        if released:
            context.enqueuer.enqueue_documents([document_id])
        return
    logger.info("document %s failed to chunk: %s", document_id, error)
    message = error.message
    if error.category not in PERMANENT_CATEGORIES:
        message = f"{message} (chunking attempt {attempt} of {max_attempts})"
    with transaction(context.sessions) as session:
        failed = fail_document(
            session,
            document_id,
            category=error.category,
            message=message,
            media_type=media_type.value,
            owner=owner,
        )
    if failed and context.deliveries is not None:
        context.deliveries.kick()  # its webhook event, queued with the failure
    if failed:
        settle_family(context, document_id)  # a member's failure counts on its containers


def record_chunking_crash(
    context: WorkerContext, document_id: str, owner: str, exc: Exception
) -> None:
    """Record an exception that escaped `chunk_document` (e.g. while storing its jobs) on the
    document it held, as `internal`, within the document's attempts."""
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        if document is None or document.lease_owner != owner:
            return
        attempt = document.attempts
    unexpected = PipelineError(ErrorCategory.INTERNAL, f"unexpected {type(exc).__name__}: {exc}")
    _record_failure(context, document_id, owner, attempt, unexpected, MediaType.UNKNOWN)
