"""A stored result as rows of an export's tables, each value typed by its column.

A value that does not fit its column's type is null in the row (a string where the schema says
number): the column set and types never depend on what a model wrote. Numbers stay numbers;
a string column takes a number or boolean as its JSON text.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.exports.layout import ColumnType, ExportTable

__all__ = ["ExportRecord", "Row", "table_rows", "typed_value"]

Row = dict[str, Any]
"""One row: column name to a typed value (str, int, float, bool, datetime, or None)."""


@dataclass(frozen=True)
class ExportRecord:
    """What an export reads of one document result."""

    document_id: str
    collection: str
    updated_at: datetime
    watermark: int
    kind: str
    schema: str | None
    schema_version: Any
    text: str | None
    markdown: str | None
    fields: Any
    """The result's merged schema fields (`data.fields`); None without a schema."""


def table_rows(table: ExportTable, record: ExportRecord) -> list[Row]:
    """`record`'s rows in `table`: one in `main`, one per array item in an item table."""
    base: Row = {
        "document_id": record.document_id,
        "collection": record.collection,
        "updated_at": record.updated_at,
        "watermark": record.watermark,
    }
    if not table.array_path:
        source = {
            **base,
            "kind": record.kind,
            "schema": record.schema,
            "schema_version": record.schema_version,
            "text": record.text,
            "markdown": record.markdown,
        }
        return [_row(table, source, record.fields)]
    items = _at(record.fields, table.array_path)
    if not isinstance(items, list):
        return []
    return [
        _row(table, {**base, "index": index}, item)
        for index, item in enumerate(items)
        if isinstance(item, Mapping)
    ]


def typed_value(column_type: ColumnType, value: Any) -> Any:
    """`value` as the column type holds it, or None when it does not fit."""
    if value is None:
        return None
    if column_type is ColumnType.JSON:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if column_type is ColumnType.STRING:
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, bool | int | float) else None
    if column_type is ColumnType.BOOLEAN:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if column_type is ColumnType.INTEGER:
        if isinstance(value, int):
            return value if -(2**63) <= value < 2**63 else None
        return int(value) if isinstance(value, float) and value.is_integer() else None
    if column_type is ColumnType.NUMBER:
        if not isinstance(value, int | float):
            return None
        try:
            number = float(value)
        except OverflowError:  # an integer beyond a double's range
            return None
        return number if math.isfinite(number) else None
    return value if isinstance(value, datetime) else None


def _row(table: ExportTable, fixed: Row, fields: Any) -> Row:
    row: Row = {}
    for column in table.columns:
        raw = _at(fields, column.path) if column.path else fixed.get(column.name)
        row[column.name] = typed_value(column.type, raw)
    return row


def _at(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value
