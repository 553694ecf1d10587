"""ORM rows and storage records to API bodies. Lease owners, internal addresses and exception
class names reach only callers with `reveal_internals` (admin keys)."""

from api.disclosure import message_for, public_json
from schemas.api import DocumentChild, DocumentOut, ErrorInfo, ExtractionOut, JobCounts, JobOut
from schemas.enums import ChunkKind, DocumentStatus, JobState, Tier
from storage.documents import JobTally
from storage.models import Document, DocumentMember, Extraction, Job


def _error(category: str | None, message: str | None, reveal_internals: bool) -> ErrorInfo | None:
    if category is None:
        return None
    return ErrorInfo(category=category, message=message_for(message, reveal_internals) or "")


def job_counts_out(tally: JobTally) -> JobCounts:
    """A document's jobs per state."""
    return JobCounts(
        total=tally.total,
        queued=tally.queued,
        running=tally.running,
        succeeded=tally.succeeded,
        failed=tally.failed,
        waiting=tally.waiting,
    )


def document_out(
    document: Document,
    counts: JobTally,
    reveal_internals: bool = False,
    *,
    container: DocumentMember | None = None,
    children: list[tuple[DocumentMember, Document | None]] | None = None,
) -> DocumentOut:
    """A document with its job counts, the container it belongs to and (when given) its
    members."""
    return DocumentOut(
        id=document.id,
        collection=document.collection,
        filename=document.filename,
        sha256=document.sha256,
        size_bytes=document.size_bytes,
        media_type=document.media_type,
        status=DocumentStatus(document.status),
        page_count=document.page_count,
        options=document.options,
        jobs=job_counts_out(counts),
        error=_error(document.error_category, document.error_message, reveal_internals),
        created_at=document.created_at,
        updated_at=document.updated_at,
        finished_at=document.finished_at,
        parent_id=container.parent_id if container else None,
        member_path=container.member_path if container else None,
        depth=document.depth,
        schema_version=document.schema_version,
        children=None
        if children is None
        else [child_out(member, child, reveal_internals) for member, child in children],
    )


def child_out(
    member: DocumentMember, child: Document | None, reveal_internals: bool = False
) -> DocumentChild:
    """One member of a container: its document's state, or the reason it was refused."""
    if child is None:
        return DocumentChild(
            position=member.position,
            member_path=member.member_path,
            id=None,
            filename=None,
            status=DocumentStatus.FAILED,
            media_type=None,
            error=_error(member.error_category, member.error_message, reveal_internals),
        )
    return DocumentChild(
        position=member.position,
        member_path=member.member_path,
        id=child.id,
        filename=child.filename,
        status=DocumentStatus(child.status),
        media_type=child.media_type,
        error=_error(child.error_category, child.error_message, reveal_internals),
    )


def job_out(job: Job, reveal_internals: bool = False) -> JobOut:
    """A job with its error, lease (admin only) and usage."""
    error = _error(job.error_category, job.error_message, reveal_internals)
    if error is None and job.waiting_reason:
        message = message_for(job.waiting_reason, reveal_internals) or ""
        error = ErrorInfo(category="waiting", message=message)
    return JobOut(
        id=job.id,
        document_id=job.document_id,
        seq=job.seq,
        kind=ChunkKind(job.kind),
        tier=Tier(job.tier),
        budget=job.budget,
        state=JobState(job.state),
        attempts=job.attempts,
        lease_owner=job.lease_owner if reveal_internals else None,
        lease_expires_at=job.lease_expires_at,
        error=error,
        chunk=job.chunk,
        tokens_in=job.tokens_in,
        tokens_out=job.tokens_out,
        latency_ms=job.latency_ms,
        model=job.model,
        fell_back=job.fell_back,
        model_calls=job.model_calls if reveal_internals else public_json(job.model_calls),
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
    )


def extraction_out(extraction: Extraction) -> ExtractionOut:
    """A stored extraction."""
    return ExtractionOut(
        id=extraction.id,
        job_id=extraction.job_id,
        document_id=extraction.document_id,
        kind=extraction.kind,
        data=extraction.data,
        provenance=extraction.provenance,
        created_at=extraction.created_at,
    )
