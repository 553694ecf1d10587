"""GET /v1/documents/{id}/file: the original bytes of a document, as uploaded."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from api.auth import ReadCaller
from api.content_disposition import attachment
from api.errors import ApiError, not_found
from api.state import ApiState, api_state
from schemas.enums import MediaType
from storage.database import transaction
from storage.documents import get_document

router = APIRouter(prefix="/v1/documents", tags=["documents"])

State = Annotated[ApiState, Depends(api_state)]


@router.get(
    "/{document_id}/file",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The original file, with its sniffed media type.",
            "content": {
                media_type.value: {"schema": {"type": "string", "format": "binary"}}
                for media_type in MediaType
            },
        },
        404: {"description": "No such document, or its file is missing from the blob store."},
    },
)
def download_file(document_id: str, state: State, caller: ReadCaller) -> FileResponse:
    """The uploaded bytes, with the sniffed media type (`application/octet-stream` until the
    document is chunked) and the original filename as an attachment."""
    with transaction(state.sessions) as session:
        document = get_document(session, document_id)
        if document is None or not caller.may_see(document.collection):
            raise not_found("document", document_id)
        caller.require_collection(document.collection)
        sha256, filename, media_type = document.sha256, document.filename, document.media_type
    path = state.blobs.path_for(sha256)
    if not path.is_file():
        raise ApiError(
            404, "file_missing", f"the file of document {document_id} is missing from the store"
        )
    return FileResponse(
        path,
        media_type=media_type or MediaType.UNKNOWN.value,
        headers={
            "Content-Disposition": attachment(filename, fallback=document_id),
            "X-Content-Type-Options": "nosniff",
        },
    )
