"""The extraction listing: filters, field predicates, full-text search, keyset pages.

`where=` paths are read from a schema extraction's `data.fields` and from any other
extraction's `data` (`schema=` or `kind=schema_extraction` keep only the first reading, another
`kind=` only the second).
"""

from typing import Any

from sqlalchemy import Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from schemas.listing_query import ListingFilters, ListingOrder, PageAfter, RankedAfter
from storage.field_filters import predicates_clause
from storage.listing_filters import (
    document_conditions,
    json_integer_is,
    needs_document,
    search_and_order,
    within,
)
from storage.models import Document, Extraction

__all__ = ["SCHEMA_EXTRACTION", "list_extractions_matching", "schema_name"]

SCHEMA_EXTRACTION = "schema_extraction"
FIELDS_ROOT = ("fields",)


def schema_name(dialect: str) -> ColumnElement[Any]:
    """The schema an extraction filled, written as migration 0011's index is."""
    if dialect == "postgresql":
        return Extraction.data.op("->>")(literal_column("'schema'"))
    return func.json_extract(Extraction.data, literal_column("'$.schema'"))


def list_extractions_matching(
    session: Session,
    filters: ListingFilters,
    *,
    order: ListingOrder,
    after: PageAfter | RankedAfter | None,
    limit: int,
) -> list[tuple[Extraction, float | None]]:
    """Up to `limit` extractions with their rank (None without a search), in `order`."""
    dialect = session.get_bind().dialect.name
    query: Select[Any] = select(Extraction)
    conditions = _conditions(filters, dialect)
    if needs_document(filters):
        query = query.join(Document, Document.id == Extraction.document_id)
        conditions += document_conditions(filters)
    query, rank = search_and_order(
        query,
        conditions,
        "extractions",
        (Extraction.created_at, Extraction.id),
        (filters.search, order, after),
        dialect,
    )
    rows = session.execute(query.where(*conditions).limit(limit))
    if rank is None:
        return [(row[0], None) for row in rows]
    return [(row[0], float(row[1])) for row in rows]


def _conditions(filters: ListingFilters, dialect: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.document_id is not None:
        conditions.append(Extraction.document_id == filters.document_id)
    if filters.kind is not None:
        conditions.append(Extraction.kind == filters.kind)
    if filters.engine is not None:
        conditions.append(Extraction.engine == filters.engine)
    if filters.schema is not None:
        conditions.append(Extraction.kind == SCHEMA_EXTRACTION)
        conditions.append(schema_name(dialect) == filters.schema)
    if filters.schema_version is not None:
        conditions.append(Extraction.kind == SCHEMA_EXTRACTION)
        conditions.append(
            json_integer_is(Extraction.data, ("schema_version",), filters.schema_version, dialect)
        )
    conditions += within(Extraction.created_at, filters.created)
    if filters.where:
        conditions.append(_where(filters, dialect))
    return conditions


def _where(filters: ListingFilters, dialect: str) -> ColumnElement[bool]:
    fields = predicates_clause(Extraction.data, filters.where, dialect, FIELDS_ROOT)
    plain = predicates_clause(Extraction.data, filters.where, dialect)
    if filters.schema is not None or filters.kind == SCHEMA_EXTRACTION:
        return fields
    if filters.kind is not None:
        return plain
    return or_(
        and_(Extraction.kind == SCHEMA_EXTRACTION, fields),
        and_(Extraction.kind != SCHEMA_EXTRACTION, plain),
    )
