"""GET /v1/results: finished documents' results, filtered, searched, cursor-paginated.

Each item summarises one result (its document's collection, status, schema, page count and
times); GET /v1/documents/{id}/result has the result itself."""

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
from api.state import ApiState, api_state
from schemas.enums import DocumentStatus
from schemas.listing_query import ListingFilters
from schemas.query_api import ResultPage, ResultSummaryOut
from storage.database import transaction
from storage.result_listing import ResultRow, list_results_matching

router = APIRouter(prefix="/v1/results", tags=["results"])


@router.get("", response_model=ResultPage, responses=errors(400, 403))
def list_results(
    state: Annotated[ApiState, Depends(api_state)],
    caller: ReadCaller,
    collection: str | None = None,
    schema: str | None = Query(default=None, description="documents that asked for this schema"),
    schema_version: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="made with this schema version")
    ] = None,
    kind: str | None = Query(default=None, description="document_pages, transcript, ..."),
    document_id: str | None = None,
    status: Annotated[DocumentStatus | None, Query(description="the document's status")] = None,
    created_after: Since = None,
    created_before: Until = None,
    updated_after: Since = None,
    updated_before: Until = None,
    where: Where = None,
    q: Search = None,
    order: Order = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> ResultPage:
    """Filter by the document (collection, id, status, requested schema), the result's kind,
    times, its `data` (`where=`) and its text (`q=`); only the key's collections. Newest
    first, or by relevance with `q`."""
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
        created=time_range(created_after, created_before, "created"),
        updated=time_range(updated_after, updated_before, "updated"),
        where=parsed_where(where),
        search=search,
    )
    listing_order = resolved_order(order, search)
    after = page_after(cursor, listing_order)
    with transaction(state.sessions) as session:
        rows = list_results_matching(
            session, filters, order=listing_order, after=after, limit=limit + 1
        )
    page, more = rows[:limit], len(rows) > limit
    last = (page[-1].created_at, page[-1].result_id, page[-1].rank) if page else None
    return ResultPage(
        items=[_summary(row) for row in page],
        next_cursor=next_cursor(listing_order, more, last),
    )


def _summary(row: ResultRow) -> ResultSummaryOut:
    return ResultSummaryOut(
        document_id=row.document_id,
        kind=row.kind,
        collection=row.collection,
        filename=row.filename,
        media_type=row.media_type,
        status=DocumentStatus(row.status),
        page_count=row.page_count,
        schema_name=row.schema,
        created_at=row.created_at,
        updated_at=row.updated_at,
        rank=row.rank,
    )
