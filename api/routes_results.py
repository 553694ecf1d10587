"""GET /v1/documents/{id}/result: a finished document's result as JSON, Markdown, HTML or text.

JSON is the stored result (pages with their blocks, a transcript, a video timeline); the other
formats are rendered from it by `schemas.rendering.results`, the same code `greenhouse show`
uses.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from api.auth import Caller, ReadCaller
from api.disclosure import message_for
from api.errors import ApiError, not_found
from api.openapi import errors
from api.state import ApiState, api_state
from schemas.enums import TERMINAL_DOCUMENT_STATUSES
from schemas.rendering.results import (
    MEDIA_TYPES,
    ResultFormat,
    UnknownResultKindError,
    render_result,
)
from schemas.rendering.standalone import CONTENT_SECURITY_POLICY
from schemas.results import DocumentResultOut
from storage.database import Session, transaction
from storage.documents import get_document
from storage.models import Document
from storage.results import get_document_result

router = APIRouter(prefix="/v1/documents", tags=["documents"])

State = Annotated[ApiState, Depends(api_state)]
_FAILURE_LISTS = ("failed_segments", "failed_frames")
_RENDERED_CONTENT: dict[str, Any] = {
    MEDIA_TYPES[result_format]: {"schema": {"type": "string"}}
    for result_format in (ResultFormat.MARKDOWN, ResultFormat.HTML, ResultFormat.TEXT)
}


@router.get(
    "/{document_id}/result",
    response_model=DocumentResultOut,
    responses={
        200: {"content": _RENDERED_CONTENT, "description": "The result in the asked format."},
        **errors(404, 409),
    },
)
def result_of(
    document_id: str,
    state: State,
    caller: ReadCaller,
    result_format: Annotated[
        ResultFormat,
        Query(
            alias="format",
            description="json (the stored result with every block), markdown, html or text.",
        ),
    ] = ResultFormat.JSON,
    include_furniture: Annotated[
        bool,
        Query(description="Markdown, HTML, text: keep running headers, footers, page numbers."),
    ] = False,
) -> DocumentResultOut | Response:
    """The document's assembled result; 409 until the document finishes."""
    with transaction(state.sessions) as session:
        document = _visible_document(session, document_id, caller)
        result = _stored_result(session, document, caller)
        title = document.filename or document.id
    if result_format == ResultFormat.JSON:
        return result
    try:
        rendered = render_result(
            result.kind,
            result.data,
            result_format,
            title=title,
            include_furniture=include_furniture,
        )
    except UnknownResultKindError as exc:
        raise ApiError(422, "unsupported_format", str(exc)) from exc
    headers = {}
    if result_format == ResultFormat.HTML:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return Response(rendered, media_type=MEDIA_TYPES[result_format], headers=headers)


def _visible_document(session: Session, document_id: str, caller: Caller) -> Document:
    """The document, or 404 when it does not exist or lies outside the caller's collections."""
    document = get_document(session, document_id)
    if document is None or not caller.may_see(document.collection):
        raise not_found("document", document_id)
    return document


def _stored_result(session: Session, document: Document, caller: Caller) -> DocumentResultOut:
    """The assembled result, or why there is none: 409 while unfinished, 404 when it failed."""
    result = get_document_result(session, document.id)
    if result is not None:
        return DocumentResultOut(
            document_id=document.id,
            kind=result.kind,
            data=_disclosed(result.data, caller.is_admin),
            created_at=result.created_at,
            generation=result.generation,
        )
    if document.status not in TERMINAL_DOCUMENT_STATUSES:
        raise ApiError(409, "not_finished", f"document {document.id} is still {document.status}")
    if document.jobs_total > 0:
        raise ApiError(
            409,
            "finalizing",
            f"document {document.id} is {document.status}; its result is being assembled",
        )
    raise ApiError(
        404,
        "no_result",
        f"document {document.id} ended {document.status} without a result",
        detail={
            "category": document.error_category,
            "message": message_for(document.error_message, caller.is_admin),
        },
    )


def _disclosed(data: dict[str, Any], reveal_internals: bool) -> dict[str, Any]:
    """The result with its failed pages', segments' and frames' messages as the caller may
    see them (the content itself is never rewritten)."""
    if reveal_internals:
        return data
    shown = dict(data)
    if isinstance(data.get("pages"), list):
        shown["pages"] = [_page_disclosed(page) for page in data["pages"]]
    for key in _FAILURE_LISTS:
        if isinstance(data.get(key), list):
            shown[key] = [_with_public_message(span) for span in data[key]]
    return shown


def _page_disclosed(page: Any) -> Any:
    if isinstance(page, dict) and isinstance(page.get("error"), dict):
        return {**page, "error": _with_public_message(page["error"])}
    return page


def _with_public_message(failure: Any) -> Any:
    if isinstance(failure, dict) and isinstance(failure.get("message"), str):
        return {**failure, "message": message_for(failure["message"], False)}
    return failure
