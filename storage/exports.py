"""What exports read: document results in change order, a keyset page at a time, and the
watermark up to which every change is committed.

Every write of a `document_results` row (insert, or an update of its kind, data or
updated_at) takes the next number of the single-row counter `export_sequence` into the row's
`change_seq`, in the writing transaction, by a trigger (migration 0014). Taking the number
locks the counter's row until the writer commits, so writers of results take their numbers
in commit order: when a reader sees the counter at W, every change numbered up to W is
committed and visible. An export therefore returns the rows with `since < change_seq <= W`
and hands W out as the next `since`: a row committed later gets a number above W and comes
in the next export, once. (SQLite runs one write transaction at a time, so the same holds.)
The price is that result writes queue on the counter from their result write to their commit.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    String,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from schemas.exports.rows import ExportRecord
from storage.models import Document, DocumentResult
from storage.result_listing import requested_schema
from storage.types import JsonColumn

__all__ = [
    "ExportSelection",
    "change_number",
    "export_page",
    "export_schema",
    "export_watermark",
]

change_number: ColumnElement[int] = literal_column(
    "document_results.change_seq", type_=BigInteger()
)
"""The row's change number (migration 0014; written by triggers only, never by the ORM)."""
_versions = table(
    "extraction_schema_versions",
    column("name", String()),
    column("version", Integer()),
    column("json_schema", JsonColumn),
)


@dataclass(frozen=True)
class ExportSelection:
    """Which results an export reads: the caller's collections (None: all), a collection,
    documents of a schema, and the change numbers `after < change_seq <= upto`."""

    collections: frozenset[str] | None
    collection: str | None
    schema: str | None
    after: int
    upto: int
    with_text: bool
    """Read the text and Markdown (exports without a schema); else the fields."""


def export_watermark(session: Session) -> int:
    """The last change number handed out: every change up to it is committed."""
    value = session.scalar(text("SELECT value FROM export_sequence WHERE id = 1"))
    return int(value or 0)


def export_schema(
    session: Session, name: str, version: int | None
) -> tuple[int, dict[str, Any]] | None:
    """(version, JSON schema) of `name`'s `version`, or of its latest version when None."""
    query = select(_versions.c.version, _versions.c.json_schema).where(_versions.c.name == name)
    if version is not None:
        query = query.where(_versions.c.version == version)
    row = session.execute(query.order_by(_versions.c.version.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), dict(row[1]))


def export_page(session: Session, selection: ExportSelection, limit: int) -> list[ExportRecord]:
    """Up to `limit` results in change order after `selection.after`, up to `selection.upto`."""
    dialect = session.get_bind().dialect.name
    schema_name = func.coalesce(
        DocumentResult.data[("schema", "name")].as_string(), requested_schema(dialect)
    )
    columns: list[Any] = [
        DocumentResult.document_id,
        Document.collection,
        DocumentResult.updated_at,
        change_number,
        DocumentResult.kind,
        schema_name,
        DocumentResult.data[("schema", "version")],
    ]
    if selection.with_text:
        columns += [
            DocumentResult.data["text"].as_string(),
            DocumentResult.data["markdown"].as_string(),
        ]
    else:
        columns += [DocumentResult.data["fields"]]
    query: Select[Any] = select(*columns).join(Document, Document.id == DocumentResult.document_id)
    conditions: list[ColumnElement[bool]] = [
        change_number > selection.after,
        change_number <= selection.upto,
    ]
    if selection.collections is not None:
        conditions.append(Document.collection.in_(sorted(selection.collections)))
    if selection.collection is not None:
        conditions.append(Document.collection == selection.collection)
    if selection.schema is not None:
        conditions.append(schema_name == selection.schema)
    rows = session.execute(query.where(*conditions).order_by(change_number).limit(limit)).all()
    return [_record(row, with_text=selection.with_text) for row in rows]


def _record(row: Any, *, with_text: bool) -> ExportRecord:
    return ExportRecord(
        document_id=row[0],
        collection=row[1],
        updated_at=row[2],
        watermark=int(row[3]),
        kind=row[4],
        schema=row[5],
        schema_version=row[6],
        text=row[7] if with_text else None,
        markdown=row[8] if with_text else None,
        fields=None if with_text else row[7],
    )
