"""The query parameters the extraction and result listings share, turned into the ledger's
`ListingFilters`: `where=` and `q=` parsed (a refusal is a 400 `invalid_query` naming the
parameter and the character at fault), time bounds made UTC, the order and its cursor."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

from api.errors import ApiError
from api.pagination import decode_cursor, decode_rank_cursor, encode_cursor, encode_rank_cursor
from schemas.field_query import MAX_PREDICATES, FieldPredicate, FieldQueryError, parse_predicates
from schemas.listing_query import ListingOrder, PageAfter, RankedAfter, TimeRange
from schemas.search_query import MAX_SEARCH_LENGTH, SearchQuery, SearchQueryError, parse_search

__all__ = [
    "Order",
    "Search",
    "Since",
    "Until",
    "Where",
    "next_cursor",
    "page_after",
    "parsed_search",
    "parsed_where",
    "resolved_order",
    "time_range",
]

Where = Annotated[
    list[str] | None,
    Query(
        description=(
            f"A field predicate, repeatable (all must hold; at most {MAX_PREDICATES}): "
            "`total>100`, `vendor.name=ACME`, `tags contains urgent`, `vendor.name exists`, "
            "`status in (paid,open)`. Values are typed: a number compares with numbers, "
            'text (bare or "quoted") with strings.'
        ),
    ),
]
Search = Annotated[
    str | None,
    Query(
        max_length=MAX_SEARCH_LENGTH,
        description=(
            'Full-text search of the text: words (all), "a phrase", -excluded, `or`. '
            "Results come by relevance unless `order=newest`."
        ),
    ),
]
Order = Annotated[
    ListingOrder | None,
    Query(description="newest (default) or relevance (the default with q; needs q)."),
]
Since = Annotated[AwareDatetime | None, Query(description="Strictly after (with a time zone).")]
Until = Annotated[AwareDatetime | None, Query(description="Strictly before (with a time zone).")]


def parsed_where(texts: list[str] | None) -> tuple[FieldPredicate, ...]:
    """The request's predicates, or a 400 pointing at the first bad one."""
    try:
        return tuple(parse_predicates(texts or []))
    except FieldQueryError as exc:
        raise ApiError(
            400,
            "invalid_query",
            exc.message,
            detail={"parameter": "where", "position": exc.position},
        ) from exc


def parsed_search(text: str | None) -> SearchQuery | None:
    """The request's full-text query, or a 400 saying why it cannot be searched for."""
    if text is None:
        return None
    try:
        return parse_search(text)
    except SearchQueryError as exc:
        raise ApiError(400, "invalid_query", str(exc), detail={"parameter": "q"}) from exc


def time_range(after: datetime | None, before: datetime | None, name: str) -> TimeRange:
    """Both bounds in UTC; a time that has no UTC form (year 1 east of Greenwich) is a 400."""
    try:
        return TimeRange(
            after=after.astimezone(UTC) if after else None,
            before=before.astimezone(UTC) if before else None,
        )
    except (OverflowError, ValueError) as exc:
        raise ApiError(400, "invalid_query", f"{name} bounds must be representable in UTC") from exc


def resolved_order(order: ListingOrder | None, search: SearchQuery | None) -> ListingOrder:
    """Relevance by default when searching, newest otherwise; relevance needs q."""
    if order is None:
        return ListingOrder.NEWEST if search is None else ListingOrder.RELEVANCE
    if order is ListingOrder.RELEVANCE and search is None:
        raise ApiError(
            400, "invalid_query", "order=relevance needs q", detail={"parameter": "order"}
        )
    return order


def page_after(cursor: str | None, order: ListingOrder) -> PageAfter | RankedAfter | None:
    """Where the page starts: the cursor of the previous page in the same order."""
    if not cursor:
        return None
    if order is ListingOrder.RELEVANCE:
        rank, row_id = decode_rank_cursor(cursor)
        return RankedAfter(rank, row_id)
    created_at, row_id = decode_cursor(cursor)
    return PageAfter(created_at, row_id)


def next_cursor(
    order: ListingOrder, more: bool, last: tuple[datetime, str, float | None] | None
) -> str | None:
    """The cursor after the page's last row (created_at, id, rank), when more rows follow."""
    if not more or last is None:
        return None
    created_at, row_id, rank = last
    if order is ListingOrder.RELEVANCE and rank is not None:
        return encode_rank_cursor(rank, row_id)
    return encode_cursor(created_at, row_id)
