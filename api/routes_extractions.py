"""/v1/extractions: every stored extraction, filtered, searched, cursor-paginated."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import ReadCaller
from api.openapi import errors
from api.query_params import (
    Order,
    Search,
    Since,
    Until,
    Where,
    next_cursor,
    page_after,
    parsed_search,
    parsed_where,
    resolved_order,
    time_range,
)
from api.serializers import extraction_out
from api.state import ApiState, api_state
from schemas.api import ExtractionPage
from schemas.enums import DocumentStatus
from schemas.listing_query import ListingFilters
from storage.database import transaction
from storage.extraction_listing import list_extractions_matching

router = APIRouter(prefix="/v1/extractions", tags=["extractions"])


@router.get("", response_model=ExtractionPage, responses=errors(400, 403))
def list_extractions(
    state: Annotated[ApiState, Depends(api_state)],
    caller: ReadCaller,
    collection: str | None = None,
    kind: str | None = None,
    schema: str | None = Query(default=None, description="extractions into this schema"),
    schema_version: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="made with this schema version")
    ] = None,
    engine: str | None = None,
    document_id: str | None = None,
    status: Annotated[DocumentStatus | None, Query(description="the document's status")] = None,
    created_after: Since = None,
    created_before: Until = None,
    where: Where = None,
    q: Search = None,
    order: Order = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ExtractionPage:
    """Filter by the document (collection, id, status), the extraction's kind, schema, engine,
    creation time, its fields (`where=`, read from `data.fields` of schema extractions and from
    `data` of the others) and its text (`q=`); only the key's collections. Newest first, or by
    relevance with `q`."""
    if collection is not None:
        caller.require_collection(collection)
    search = parsed_search(q)
    filters = ListingFilters(
        collections=caller.collections,
        collection=collection,
        document_id=document_id,
        status=status,
        schema=schema,
        schema_version=schema_version,
        kind=kind,
        engine=engine,
        created=time_range(created_after, created_before, "created"),
        where=parsed_where(where),
        search=search,
    )
    listing_order = resolved_order(order, search)
    after = page_after(cursor, listing_order)
    with transaction(state.sessions) as session:
        rows = list_extractions_matching(
            session, filters, order=listing_order, after=after, limit=limit + 1
        )
        page, more = rows[:limit], len(rows) > limit
        items = [extraction_out(row).model_copy(update={"rank": rank}) for row, rank in page]
    last = (page[-1][0].created_at, page[-1][0].id, page[-1][1]) if page else None
    return ExtractionPage(items=items, next_cursor=next_cursor(listing_order, more, last))
