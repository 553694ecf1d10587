"""An export from plan to bytes: the watermark and the tables fixed first, then the results
read a keyset page at a time (each page its own short transaction) and encoded as they come.
`GET /v1/exports` streams one table; `greenhouse export` writes every table in one pass."""

from collections.abc import Iterator
from dataclasses import dataclass, replace

from schemas.exports.encoders import ExportFormat, TableEncoder, encoder_for
from schemas.exports.layout import ExportLayout, ExportTable, schema_layout, text_layout
from schemas.exports.rows import ExportRecord, table_rows
from storage.database import SessionFactory, transaction
from storage.exports import ExportSelection, export_page, export_schema, export_watermark

__all__ = [
    "ExportPlan",
    "ExportRequestError",
    "UnknownExportSchemaError",
    "encoded_table",
    "encoded_tables",
    "plan_export",
]

TEXT_PAGE_ROWS = 200
"""Results per page when each carries its whole text and Markdown."""
FIELDS_PAGE_ROWS = 2_000


class ExportRequestError(Exception):
    """An export that cannot be made as asked: `parameter` says which one is at fault."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.message = message


class UnknownExportSchemaError(ExportRequestError):
    """No schema is registered under the name asked for."""


@dataclass(frozen=True)
class ExportPlan:
    """The tables and the results of an export; `selection.upto` is its watermark."""

    layout: ExportLayout
    selection: ExportSelection

    @property
    def watermark(self) -> int:
        """The `since` of the next export: every change up to it is in this one (or filtered)."""
        return self.selection.upto


def plan_export(
    sessions: SessionFactory,
    *,
    collections: frozenset[str] | None,
    collection: str | None,
    schema: str | None,
    schema_version: int | None = None,
    since: int | None,
    until: int | None,
) -> ExportPlan:
    """Fix the watermark and the tables. Refuses (ExportRequestError) an unknown schema, an
    `until` before `since`, and a `since` ahead of the watermark, which no export handed out
    (a database restored from an older backup, a made-up number): rows would be skipped."""
    if since is not None and until is not None and until < since:
        raise ExportRequestError("until", "until must not be below since")
    with transaction(sessions) as session:
        watermark = export_watermark(session)
        found = export_schema(session, schema, schema_version) if schema is not None else None
    if schema is not None and found is None:
        named = schema if schema_version is None else f"{schema} version {schema_version}"
        raise UnknownExportSchemaError("schema", f"no schema is registered as {named!r}")
    if since is not None and since > watermark:
        raise ExportRequestError(
            "since", f"since={since} is ahead of the latest change ({watermark})"
        )
    layout = text_layout() if found is None else schema_layout(schema or "", *found)
    selection = ExportSelection(
        collections=collections,
        collection=collection,
        schema=schema,
        after=since or 0,
        upto=watermark if until is None else min(until, watermark),
        with_text=found is None,
    )
    return ExportPlan(layout, selection)


def record_pages(sessions: SessionFactory, plan: ExportPlan) -> Iterator[list[ExportRecord]]:
    """The plan's results in change order, a page at a time."""
    limit = TEXT_PAGE_ROWS if plan.selection.with_text else FIELDS_PAGE_ROWS
    selection = plan.selection
    while True:
        with transaction(sessions) as session:
            page = export_page(session, selection, limit)
        if page:
            yield page
        if len(page) < limit:
            return
        selection = replace(selection, after=page[-1].watermark)


def encoded_table(
    sessions: SessionFactory, plan: ExportPlan, table: ExportTable, export_format: ExportFormat
) -> Iterator[bytes]:
    """One table's file, chunk by chunk."""
    for _name, chunk in encoded_tables(sessions, plan, (table,), export_format):
        yield chunk


def encoded_tables(
    sessions: SessionFactory,
    plan: ExportPlan,
    tables: tuple[ExportTable, ...],
    export_format: ExportFormat,
    counts: dict[str, int] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """(table name, chunk) for several tables filled in one pass over the results; `counts`,
    when given, receives each table's number of rows."""
    encoders: dict[str, tuple[ExportTable, TableEncoder]] = {
        table.name: (table, encoder_for(export_format, table)) for table in tables
    }
    for name, (_table, encoder) in encoders.items():
        yield from _nonempty(name, encoder.start())
    for page in record_pages(sessions, plan):
        for name, (table, encoder) in encoders.items():
            rows = [row for record in page for row in table_rows(table, record)]
            if counts is not None:
                counts[name] = counts.get(name, 0) + len(rows)
            yield from _nonempty(name, encoder.rows(rows))
    for name, (_table, encoder) in encoders.items():
        yield from _nonempty(name, encoder.finish())


def _nonempty(name: str, chunk: bytes) -> Iterator[tuple[str, bytes]]:
    if chunk:
        yield name, chunk
