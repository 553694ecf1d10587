"""The document-level result listing: a summary row per result (the result's `data` stays in
the ledger: GET /v1/documents/{id}/result has it), filtered, searched, keyset-paginated.
`where=` paths are read from the result's `data`."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from schemas.listing_query import ListingFilters, ListingOrder, PageAfter, RankedAfter
from storage.field_filters import predicates_clause
from storage.listing_filters import (
    document_conditions,
    json_integer_is,
    search_and_order,
    within,
)
from storage.models import Document, DocumentResult

__all__ = ["ResultRow", "list_results_matching"]


@dataclass(frozen=True)
class ResultRow:
    """One result in a listing, with its document's facts."""

    result_id: str
    document_id: str
    kind: str
    collection: str
    filename: str | None
    media_type: str | None
    status: str
    page_count: int | None
    schema: str | None
    created_at: datetime
    updated_at: datetime
    rank: float | None


def requested_schema(dialect: str) -> ColumnElement[Any]:
    """The schema the document asked for (its options' `schema`)."""
    if dialect == "postgresql":
        return Document.options.op("->>")(literal_column("'schema'"))
    return func.json_extract(Document.options, literal_column("'$.schema'"))


def list_results_matching(
    session: Session,
    filters: ListingFilters,
    *,
    order: ListingOrder,
    after: PageAfter | RankedAfter | None,
    limit: int,
) -> list[ResultRow]:
    """Up to `limit` results in `order` (`kind`: the result's kind; `schema`: the document's)."""
    dialect = session.get_bind().dialect.name
    schema = requested_schema(dialect)
    query: Select[Any] = select(
        DocumentResult.id,
        DocumentResult.document_id,
        DocumentResult.kind,
        Document.collection,
        Document.filename,
        Document.media_type,
        Document.status,
        Document.page_count,
        schema,
        DocumentResult.created_at,
        DocumentResult.updated_at,
    ).join(Document, Document.id == DocumentResult.document_id)
    conditions = document_conditions(filters)
    if filters.document_id is not None:
        conditions.append(DocumentResult.document_id == filters.document_id)
    if filters.kind is not None:
        conditions.append(DocumentResult.kind == filters.kind)
    if filters.schema is not None:
        conditions.append(schema == filters.schema)
    if filters.schema_version is not None:
        conditions.append(
            json_integer_is(
                DocumentResult.data, ("schema", "version"), filters.schema_version, dialect
            )
        )
    conditions += within(DocumentResult.created_at, filters.created)
    conditions += within(DocumentResult.updated_at, filters.updated)
    if filters.where:
        conditions.append(predicates_clause(DocumentResult.data, filters.where, dialect))
    query, rank = search_and_order(
        query,
        conditions,
        "document_results",
        (DocumentResult.created_at, DocumentResult.id),
        (filters.search, order, after),
        dialect,
    )
    rows = session.execute(query.where(*conditions).limit(limit)).all()
    return [_row(row, ranked=rank is not None) for row in rows]


def _row(row: Any, *, ranked: bool) -> ResultRow:
    return ResultRow(
        result_id=row[0],
        document_id=row[1],
        kind=row[2],
        collection=row[3],
        filename=row[4],
        media_type=row[5],
        status=row[6],
        page_count=row[7],
        schema=row[8],
        created_at=row[9],
        updated_at=row[10],
        rank=float(row[11]) if ranked else None,
    )
