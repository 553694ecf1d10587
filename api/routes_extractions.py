"""/v1/extractions: every stored extraction, filtered, newest first, cursor-paginated."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import or_, select

from api.pagination import decode_cursor, encode_cursor
from api.serializers import extraction_out
from api.state import ApiState, api_state
from schemas.api import ExtractionPage
from storage.database import transaction
from storage.models import Document, Extraction

router = APIRouter(prefix="/v1/extractions", tags=["extractions"])


@router.get("", response_model=ExtractionPage)
def list_extractions(
    state: Annotated[ApiState, Depends(api_state)],
    collection: str | None = None,
    kind: str | None = None,
    schema: str | None = Query(default=None, description="extractions into this schema"),
    engine: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ExtractionPage:
    """Filter by the document's collection, the extraction kind, schema or engine."""
    query = select(Extraction)
    if collection is not None:
        query = query.join(Document, Document.id == Extraction.document_id).where(
            Document.collection == collection
        )
    if kind is not None:
        query = query.where(Extraction.kind == kind)
    if schema is not None:
        query = query.where(Extraction.kind == "schema_extraction").where(
            Extraction.data["schema"].as_string() == schema
        )
    if engine is not None:
        query = query.where(Extraction.engine == engine)
    if cursor:
        created_at, extraction_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Extraction.created_at < created_at,
                (Extraction.created_at == created_at) & (Extraction.id < extraction_id),
            )
        )
    query = query.order_by(Extraction.created_at.desc(), Extraction.id.desc()).limit(limit + 1)
    with transaction(state.sessions) as session:
        rows = list(session.scalars(query))
        page, more = rows[:limit], len(rows) > limit
        items = [extraction_out(row) for row in page]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more and page else None
    return ExtractionPage(items=items, next_cursor=next_cursor)
