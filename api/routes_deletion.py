"""Deleting documents: one by id, or every document of a collection."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel

from api.auth import WriteCaller
from api.errors import not_found
from api.state import ApiState, api_state
from schemas.document_options import COLLECTION_MAX_LENGTH
from storage.database import transaction
from storage.deletion import delete_collection, delete_documents
from storage.documents import get_document

router = APIRouter(tags=["documents"])

State = Annotated[ApiState, Depends(api_state)]


class CollectionDeletionOut(BaseModel):
    """What deleting a collection's documents removed."""

    collection: str
    documents_deleted: int
    blobs_removed: int


@router.delete(
    "/v1/documents/{document_id}",
    status_code=204,
    response_class=Response,
    responses={404: {"description": "No such document."}},
)
def delete_document(document_id: str, state: State, caller: WriteCaller) -> Response:
    """Delete the document, its jobs (queued ones are cancelled, running ones write nothing
    more), extractions and result, and its file unless another document has the same bytes."""
    with transaction(state.sessions) as session:
        document = get_document(session, document_id)
        if document is None or not caller.may_see(document.collection):
            raise not_found("document", document_id)
        caller.require_collection(document.collection)
    report = delete_documents(state.sessions, state.blobs, [document_id])
    if not report.documents:
        raise not_found("document", document_id)
    return Response(status_code=204)


@router.delete("/v1/collections/{collection}/documents", response_model=CollectionDeletionOut)
def delete_collection_documents(
    collection: Annotated[str, Path(min_length=1, max_length=COLLECTION_MAX_LENGTH)],
    state: State,
    caller: WriteCaller,
) -> CollectionDeletionOut:
    """Delete every document of the collection, as `DELETE /v1/documents/{id}` does."""
    caller.require_collection(collection)
    report = delete_collection(state.sessions, state.blobs, collection)
    return CollectionDeletionOut(
        collection=collection,
        documents_deleted=len(report.documents),
        blobs_removed=report.blobs_removed,
    )
