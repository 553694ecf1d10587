"""POST /v1/documents/{id}/reprocess and the results it replaced."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import Caller, ReadCaller, WriteCaller
from api.dispatch import JobDispatcher
from api.errors import ApiError, not_found
from api.openapi import errors
from api.serializers import document_out
from api.state import ApiState, api_state
from schemas.api import DocumentOut
from schemas.reprocess import ReprocessIn, ResultHistoryPage
from storage.database import Session, transaction
from storage.documents import get_document, job_counts
from storage.models import Document
from storage.reprocess import Refused, reprocess_document, result_history

router = APIRouter(prefix="/v1/documents", tags=["documents"])
logger = logging.getLogger(__name__)

State = Annotated[ApiState, Depends(api_state)]


@router.post(
    "/{document_id}/reprocess",
    status_code=202,
    response_model=DocumentOut,
    responses=errors(404, 409),
)
def reprocess(
    document_id: str, body: ReprocessIn, state: State, caller: WriteCaller
) -> DocumentOut:
    """Run a finished document's affected jobs again: with another schema or schema version
    (default: the latest version of the document's schema), tier or budget. The current
    result moves to the history (`GET .../results/history`) and the document is processing
    until the new result, one generation later, is written. 409 while it is still
    processing, for a container, or when no job would change; 422 for an unknown schema or
    version."""
    with transaction(state.sessions) as session:
        _require_document(session, document_id, caller)
        outcome = reprocess_document(session, document_id, body)
        if isinstance(outcome, Refused):
            raise ApiError(outcome.status, outcome.code, outcome.message)
    if isinstance(state.dispatcher, JobDispatcher):
        try:
            state.dispatcher.dispatch_jobs(outcome.jobs)
        except Exception:  # the jobs are queued in the ledger: the reapers re-send them
            logger.exception("reprocess of %s: the broker did not take the jobs", document_id)
    with transaction(state.sessions) as session:
        document = _require_document(session, document_id, caller)
        return document_out(document, job_counts(session, [document_id])[document_id])


@router.get(
    "/{document_id}/results/history", response_model=ResultHistoryPage, responses=errors(404)
)
def history(
    document_id: str,
    state: State,
    caller: ReadCaller,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ResultHistoryPage:
    """The results reprocessing replaced, newest generation first (the current one is at
    `GET /v1/documents/{id}/result`)."""
    with transaction(state.sessions) as session:
        _require_document(session, document_id, caller)
        return ResultHistoryPage(items=result_history(session, document_id, limit))


def _require_document(session: Session, document_id: str, caller: Caller) -> Document:
    """404 for a missing document or one outside the caller's collections."""
    document = get_document(session, document_id)
    if document is None or not caller.may_see(document.collection):
        raise not_found("document", document_id)
    return document
