"""/v1/extractions: every stored extraction, filtered, newest first, cursor-paginated."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import ReadCaller
from api.openapi import errors
from api.pagination import decode_cursor, encode_cursor
from api.serializers import extraction_out
from api.state import ApiState, api_state
from schemas.api import ExtractionPage
from storage.database import transaction
from storage.queries import list_extractions as query_extractions

router = APIRouter(prefix="/v1/extractions", tags=["extractions"])


@router.get("", response_model=ExtractionPage, responses=errors(400))
def list_extractions(
    state: Annotated[ApiState, Depends(api_state)],
    caller: ReadCaller,
    collection: str | None = None,
    kind: str | None = None,
    schema: str | None = Query(default=None, description="extractions into this schema"),
    engine: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ExtractionPage:
    """Filter by the document's collection, the extraction kind, schema or engine; only the
    key's collections."""
    if collection is not None:
        caller.require_collection(collection)
    after = decode_cursor(cursor) if cursor else None
    with transaction(state.sessions) as session:
        rows = query_extractions(
            session,
            collection=collection,
            kind=kind,
            schema=schema,
            engine=engine,
            after=after,
            limit=limit + 1,
            collections=caller.collections,
        )
        page, more = rows[:limit], len(rows) > limit
        items = [extraction_out(row) for row in page]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more and page else None
    return ExtractionPage(items=items, next_cursor=next_cursor)
