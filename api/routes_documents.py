"""/v1/documents: upload, list, show, and a document's jobs and extractions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from api.auth import Caller, ReadCaller, WriteCaller
from api.errors import not_found
from api.openapi import errors
from api.pagination import decode_cursor, encode_cursor
from api.serializers import document_out, extraction_out, job_out
from api.state import ApiState, api_state
from api.upload_intake import UPLOAD_REQUEST_BODY, accept_upload
from api.upload_stream import AbandonedUploadError
from schemas.api import DocumentOut, DocumentPage, ExtractionOut, JobOut
from schemas.enums import DocumentStatus
from storage.database import Session, transaction
from storage.documents import get_document, job_counts, list_documents
from storage.families import container_of, containers_of, members_of
from storage.models import Document
from storage.queries import extractions_of_document, jobs_of_document

router = APIRouter(prefix="/v1/documents", tags=["documents"])

State = Annotated[ApiState, Depends(api_state)]
SEQ_MAX = 2**31 - 1
"""Page sequence numbers are 32-bit integer columns: a larger `after_seq` is a 422."""


@router.post(
    "",
    status_code=202,
    response_model=DocumentOut,
    openapi_extra=UPLOAD_REQUEST_BODY,
    responses={
        200: {"model": DocumentOut, "description": "A duplicate: the existing document."},
        **errors(413),
    },
)
async def upload_document(
    request: Request, response: Response, state: State, caller: WriteCaller
) -> DocumentOut | Response:
    """Store the upload and queue it; 200 with the existing document for a duplicate.

    The multipart body (`file`, `collection`, `tier`, `budget`, `schema`) is parsed as it
    streams in (`api/upload_stream.py`): past `MAX_UPLOAD_BYTES` the answer is 413 at once,
    and it closes the connection so the client stops sending."""
    try:
        intake = await accept_upload(request, state, caller)
    except AbandonedUploadError as refusal:
        return refusal.response()
    if not intake.created:
        response.status_code = 200
    return await run_in_threadpool(_show, state, intake.document.id, caller)


@router.get("", response_model=DocumentPage, responses=errors(400))
def list_all(
    state: State,
    caller: ReadCaller,
    status: DocumentStatus | None = None,
    collection: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
    parent_id: Annotated[str | None, Query(max_length=64)] = None,
    top_level: bool = False,
) -> DocumentPage:
    """Newest first; pass `next_cursor` back as `cursor` for the next page. `parent_id`: only
    the members of that container; `top_level`: only uploads (no container members)."""
    if collection is not None:
        caller.require_collection(collection)
    after = decode_cursor(cursor) if cursor else None
    with transaction(state.sessions) as session:
        documents = list_documents(
            session,
            status=status,
            collection=collection,
            after=after,
            limit=limit + 1,
            collections=caller.collections,
            parent_id=parent_id,
            top_level=top_level,
        )
        page, more = documents[:limit], len(documents) > limit
        counts = job_counts(session, [d.id for d in page])
        held = containers_of(session, [d.id for d in page])
        items = [
            document_out(d, counts[d.id], caller.is_admin, container=held.get(d.id)) for d in page
        ]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more and page else None
    return DocumentPage(items=items, next_cursor=next_cursor)


@router.get("/{document_id}", response_model=DocumentOut, responses=errors(404))
def show(document_id: str, state: State, caller: ReadCaller) -> DocumentOut:
    """Status, media type, page count, job counts by state and error."""
    return _show(state, document_id, caller)


def _show(state: ApiState, document_id: str, caller: Caller) -> DocumentOut:
    with transaction(state.sessions) as session:
        document = _require_document(session, document_id, caller)
        counts = job_counts(session, [document_id])[document_id]
        return document_out(
            document,
            counts,
            caller.is_admin,
            container=container_of(session, document_id),
            children=members_of(session, document_id),
        )


@router.get("/{document_id}/jobs", response_model=list[JobOut], responses=errors(404))
def jobs_of(
    document_id: str,
    state: State,
    caller: ReadCaller,
    after_seq: Annotated[int, Query(ge=-1, le=SEQ_MAX)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[JobOut]:
    """The document's jobs in page order, `limit` at a time after `after_seq`."""
    with transaction(state.sessions) as session:
        _require_document(session, document_id, caller)
        jobs = jobs_of_document(session, document_id, after_seq=after_seq, limit=limit)
        return [job_out(job, caller.is_admin) for job in jobs]


@router.get("/{document_id}/extractions", response_model=list[ExtractionOut], responses=errors(404))
def extractions_of(
    document_id: str,
    state: State,
    caller: ReadCaller,
    after_seq: Annotated[int, Query(ge=-1, le=SEQ_MAX)] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ExtractionOut]:
    """The document's extractions in page order."""
    with transaction(state.sessions) as session:
        _require_document(session, document_id, caller)
        extractions = extractions_of_document(
            session, document_id, after_seq=after_seq, limit=limit
        )
        return [extraction_out(e) for e in extractions]


def _require_document(session: Session, document_id: str, caller: Caller) -> Document:
    """The document, or 404 when it does not exist or lies outside the caller's collections
    (its existence is not confirmed to a key that does not cover it)."""
    document = get_document(session, document_id)
    if document is None or not caller.may_see(document.collection):
        raise not_found("document", document_id)
    return document
