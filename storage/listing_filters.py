"""Conditions every listing shares: the document's collection and status, time ranges, and
where a keyset page starts (row values, so a B-tree index seeks straight to it)."""

from typing import Any

from sqlalchemy import and_, bindparam, or_, tuple_
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from schemas.listing_query import ListingFilters, PageAfter, RankedAfter, TimeRange
from storage.models import Document

Column = ColumnElement[Any] | QueryableAttribute[Any]

__all__ = [
    "Column",
    "document_conditions",
    "needs_document",
    "newest_after",
    "ranked_after",
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
