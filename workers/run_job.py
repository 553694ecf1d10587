"""Body of the run_job task: lease the job, run its engine, store the extraction."""

import logging
from dataclasses import dataclass
from pathlib import Path

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.errors import PipelineError
from pipeline.model.schema_request import SchemaRequest
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, Tier
from storage.database import transaction
from storage.documents import get_document
from storage.extraction_schemas import get_schema, get_schema_version
from storage.ledger import (
    Transition,
    claim_job,
    complete_job,
    fail_job,
    park_job,
    queue_of_job,
    release_job,
)
from workers.blob_files import job_file
from workers.context import WorkerContext
from workers.finalize_document import finalize_document
from workers.isolation.messages import IsolationError
from workers.job_decisions import (
    Complete,
    Decision,
    Park,
    Release,
    decide,
    extraction_record,
    usage_of,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobOutcome:
    """What happened to a job in one run (for logs and the embedded progress display)."""

    job_id: str
    state: str
    error_category: str | None = None


def run_job(
    context: WorkerContext,
    job_id: str,
    owner: str,
    timeout_errors: tuple[type[BaseException], ...] = (),
) -> JobOutcome:
    """Run one job to a terminal (or waiting) state; a no-op if it is not claimable."""
    settings = context.settings
    with transaction(context.sessions) as session:
        job = claim_job(session, job_id, owner, settings.lease_seconds)
        if job is None:
            return JobOutcome(job_id, "skipped")
        document = get_document(session, job.document_id)
        assert document is not None
        chunk = ChunkDescriptor.model_validate(job.chunk)
        tier = Tier(job.tier)
        budget = job.budget
        sha256 = document.sha256
        schema_name = document.options.get("schema") if tier is Tier.MOE else None
        schema_version = document.schema_version
        attempts = job.attempts
    path = job_file(context.blobs, sha256, chunk)
    with context.heartbeat.hold(job_id, owner, max_seconds=settings.job_deadline_seconds):
        try:
            _check_converted(path, chunk)
            schema = _schema_request(context, schema_name, schema_version)
            job_spec = ChunkJob(path=path, chunk=chunk, tier=tier, budget=budget, schema=schema)
            outcome: ExtractionResult | PipelineError = context.isolation.run_chunk(job_spec)
        except PipelineError as error:
            outcome = error
        except timeout_errors as exc:
            outcome = IsolationError(ErrorCategory.TIMEOUT, f"the job ran out of time: {exc!r}")
        except Exception as exc:
            if _job_deleted(context, job_id):
                return JobOutcome(job_id, "deleted")
            logger.exception("job %s raised", job_id)
            outcome = PipelineError(
                ErrorCategory.INTERNAL, f"unexpected {type(exc).__name__}: {exc}"
            )
    if isinstance(outcome, IsolationError):
        if _job_deleted(context, job_id):
            return JobOutcome(job_id, "deleted")
        logger.warning("job %s, attempt %d: %s", job_id, attempts, outcome)
    return _apply(context, job_id, owner, decide(outcome, attempts, settings.max_attempts))


def _apply(context: WorkerContext, job_id: str, owner: str, decision: Decision) -> JobOutcome:
    """Carry out the job's decision in its own transaction (then finalise or re-send)."""
    if isinstance(decision, Complete):
        with transaction(context.sessions) as session:
            transition = complete_job(
                session,
                job_id,
                owner,
                extraction_record(decision.result),
                usage_of(decision.result),
            )
        _finalize_if_finished(context, transition)
        if transition:
            return JobOutcome(job_id, "succeeded")
        return JobOutcome(job_id, "deleted" if _job_deleted(context, job_id) else "lost-lease")
    error = decision.error
    if isinstance(decision, Park):
        with transaction(context.sessions) as session:
            park_job(session, job_id, owner, error.message)
        return JobOutcome(job_id, "waiting", error.category.value)
    if isinstance(decision, Release):
        return _release(context, job_id, owner, error)
    with transaction(context.sessions) as session:
        failed = fail_job(session, job_id, owner, error.category, error.message)
    _finalize_if_finished(context, failed)
    return JobOutcome(job_id, "failed", error.category.value)


def _check_converted(path: Path, chunk: ChunkDescriptor) -> None:
    """A page of a LibreOffice conversion whose PDF is gone fails clearly (`blob_missing`)."""
    if chunk.converted_by is not None and not path.is_file():
        raise PipelineError(
            ErrorCategory.BLOB_MISSING,
            f"the PDF {chunk.converted_by} made of the stored file is missing from the store:"
            " ingest the document again",
        )


def _schema_request(
    context: WorkerContext, name: str | None, version: int | None
) -> SchemaRequest | None:
    """The registered schema (at the version the document records; the latest for one
    recorded before versions) a document asked for; unknown names fail the job clearly."""
    if name is None:
        return None
    with transaction(context.sessions) as session:
        row = get_schema(session, name) if version is None else None
        if version is None and row is not None:
            version = row.version
        chosen = row if row is not None else get_schema_version(session, name, version or 0)
        if chosen is None:
            raise PipelineError(
                ErrorCategory.INVALID_OPTIONS, f"no schema is registered as {name!r}"
            )
        return SchemaRequest(
            name=name,
            json_schema=chosen.json_schema,
            description=chosen.description,
            version=version,
        )


def _release(context: WorkerContext, job_id: str, owner: str, error: PipelineError) -> JobOutcome:
    """Back to the queue with the error kept as a note, and re-sent."""
    with transaction(context.sessions) as session:
        released = release_job(session, job_id, owner, error.category, error.message)
        queue = queue_of_job(session, job_id)
    if released and queue is not None:
        context.enqueuer.enqueue_jobs([(job_id, queue)])
    return JobOutcome(job_id, "queued", error.category.value)


def _job_deleted(context: WorkerContext, job_id: str) -> bool:
    """The job's document was deleted while it ran: it ends quietly, writing nothing."""
    with transaction(context.sessions) as session:
        return queue_of_job(session, job_id) is None


def _finalize_if_finished(context: WorkerContext, transition: Transition) -> None:
    """The job that finished its document writes the document's result, after its commit."""
    if transition.finished_document is not None:
        finalize_document(context, transition.finished_document)
