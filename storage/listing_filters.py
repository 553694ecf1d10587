"""Conditions every listing shares: the document's collection and status, time ranges, and
where a keyset page starts (row values, so a B-tree index seeks straight to it)."""

from typing import Any

from sqlalchemy import Select, and_, bindparam, func, literal_column, or_, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from schemas.listing_query import ListingFilters, ListingOrder, PageAfter, RankedAfter, TimeRange
from schemas.search_query import SearchQuery
from storage.models import Document
from storage.search import full_text_match, rowid_of

Column = ColumnElement[Any] | QueryableAttribute[Any]

__all__ = [
    "Column",
    "document_conditions",
    "json_integer_is",
    "needs_document",
    "newest_after",
    "ranked_after",
    "search_and_order",
    "within",
]


def needs_document(filters: ListingFilters) -> bool:
    """True when a filter reads the document row (collection, scope or status)."""
    return (
        filters.collection is not None
        or filters.collections is not None
        or filters.status is not None
    )


def document_conditions(filters: ListingFilters) -> list[ColumnElement[bool]]:
    """The filters on the document: collection, the caller's collections, status."""
    conditions: list[ColumnElement[bool]] = []
    if filters.collection is not None:
        conditions.append(Document.collection == filters.collection)
    if filters.collections is not None:
        conditions.append(Document.collection.in_(sorted(filters.collections)))
    if filters.status is not None:
        conditions.append(Document.status == filters.status)
    return conditions


def within(column: Column, bounds: TimeRange) -> list[ColumnElement[bool]]:
    """`column` strictly after `bounds.after` and strictly before `bounds.before`."""
    conditions: list[ColumnElement[bool]] = []
    if bounds.after is not None:
        conditions.append(column > bindparam(None, bounds.after, type_=column.type))
    if bounds.before is not None:
        conditions.append(column < bindparam(None, bounds.before, type_=column.type))
    return conditions


def newest_after(created_at: Column, row_id: Column, after: PageAfter) -> ColumnElement[bool]:
    """Rows after the cursor in (created_at, id) descending order."""
    return tuple_(created_at, row_id) < tuple_(
        bindparam(None, after.created_at, type_=created_at.type),
        bindparam(None, after.row_id, type_=row_id.type),
    )


def ranked_after(rank: Column, row_id: Column, after: RankedAfter) -> ColumnElement[bool]:
    """Rows after the cursor in (rank, id) descending order."""
    return or_(rank < after.rank, and_(rank == after.rank, row_id < after.row_id))


def search_and_order(
    query: Select[Any],
    conditions: list[ColumnElement[bool]],
    table: str,
    columns: tuple[Column, Column],
    listing: tuple[SearchQuery | None, ListingOrder, PageAfter | RankedAfter | None],
    dialect: str,
) -> tuple[Select[Any], ColumnElement[Any] | None]:
    """Add a listing's full-text match (its rank as the query's last column), its order and
    where its page starts; `columns` are the table's (created_at, id), `conditions` grows.
    Returns the ordered query (conditions not applied yet) and the rank, None without `q`."""
    search, order, after = listing
    created_at, row_id = columns
    rank: ColumnElement[Any] | None = None
    if search is not None:
        match = full_text_match(table, search, dialect)
        if match.hits is not None:
            query = query.join(match.hits, match.hits.c.hit_rowid == rowid_of(table))
        if match.condition is not None:
            conditions.append(match.condition)
        rank = match.rank
        query = query.add_columns(rank)
    if order is ListingOrder.RELEVANCE and rank is not None:
        if isinstance(after, RankedAfter):
            conditions.append(ranked_after(rank, row_id, after))
        return query.order_by(rank.desc(), row_id.desc()), rank
    if isinstance(after, PageAfter):
        conditions.append(newest_after(created_at, row_id, after))
    return query.order_by(created_at.desc(), row_id.desc()), rank


def json_integer_is(
    column: Column, path: tuple[str, ...], value: int, dialect: str
) -> ColumnElement[bool]:
    """The integer at `path` inside a JSON column equals `value` (a missing key or another type
    never does). `path` is the code's own (written into the SQL), never the request's; the
    value is bound."""
    if dialect == "postgresql":
        pointer: ColumnElement[str] = literal_column("'{" + ",".join(path) + "}'")
        return and_(
            func.jsonb_typeof(column.op("#>")(pointer)) == "number",
            column.op("#>>")(pointer) == str(value),
        )
    json_path: ColumnElement[str] = literal_column("'$." + ".".join(path) + "'")
    return and_(
        func.json_type(column, json_path) == "integer",
        func.json_extract(column, json_path) == value,
    )
