"""The export layout of a JSON schema (exact tables and columns) and a result's rows in it
(exact values, typed by column), plus the encoders read back: CSV by the csv module, Parquet
by pyarrow, streamed in row groups."""

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pyarrow.parquet as pq
import pytest

from schemas.exports.encoders import ExportFormat, encoder_for
from schemas.exports.layout import ColumnType, schema_layout, text_layout
from schemas.exports.rows import ExportRecord, table_rows, typed_value

WHEN = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
BASE = ["document_id", "collection", "updated_at", "watermark"]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "money": {"type": "object", "properties": {"amount": {"type": "number"}}},
        "item": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "price": {"$ref": "#/$defs/money"},
                "notes": {"type": "array", "items": {"type": "object", "properties": {}}},
            },
        },
    },
    "properties": {
        "vendor": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "address": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        },
        "total": {"anyOf": [{"$ref": "#/$defs/money"}, {"type": "null"}]},
        "count": {"type": "integer"},
        "paid": {"type": ["boolean", "null"]},
        "status": {"enum": ["open", "paid"]},
        "mixed": {"type": ["string", "number"]},
        "extra": {"type": "object"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
        "kind": {"type": "string"},
        "order": {
            "type": "object",
            "properties": {
                "lines": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
                }
            },
        },
    },
}


def _record(fields: Any, **changes: Any) -> ExportRecord:
    values: dict[str, Any] = {
        "document_id": "doc-1",
        "collection": "farm",
        "updated_at": WHEN,
        "watermark": 7,
        "kind": "document_pages",
        "schema": "invoice",
        "schema_version": 2,
        "text": None,
        "markdown": None,
        "fields": fields,
    }
    return ExportRecord(**{**values, **changes})


def test_a_schema_becomes_a_main_table_and_one_table_per_array_of_objects() -> None:
    layout = schema_layout("invoice", 2, SCHEMA)
    assert layout.table_names == ["main", "items", "order.lines"]
    main, items, lines = layout.tables
    assert [(c.name, c.type.value) for c in main.columns] == [
        ("document_id", "string"),
        ("collection", "string"),
        ("updated_at", "timestamp"),
        ("watermark", "integer"),
        ("kind", "string"),
        ("schema", "string"),
        ("schema_version", "integer"),
        ("count", "integer"),
        ("extra", "json"),
        ("fields.kind", "string"),
        ("mixed", "json"),
        ("paid", "boolean"),
        ("status", "string"),
        ("tags", "json"),
        ("total.amount", "number"),
        ("vendor.address.city", "string"),
        ("vendor.name", "string"),
    ]
    assert items.array_path == ("items",)
    assert items.column_names == [*BASE, "index", "notes", "price.amount", "sku"]
    assert items.columns[5].type is ColumnType.JSON
    assert lines.array_path == ("order", "lines")
    assert lines.column_names == [*BASE, "index", "n"]


def test_without_a_schema_the_row_is_the_text_and_markdown() -> None:
    (main,) = text_layout().tables
    record = _record(None, schema=None, schema_version=None, text="Hello", markdown="# Hello")
    assert table_rows(main, record) == [
        {
            "document_id": "doc-1",
            "collection": "farm",
            "updated_at": WHEN,
            "watermark": 7,
            "kind": "document_pages",
            "schema": None,
            "schema_version": None,
            "text": "Hello",
            "markdown": "# Hello",
        }
    ]


def test_fields_flatten_into_typed_values_and_items_into_rows() -> None:
    layout = schema_layout("invoice", 2, SCHEMA)
    main, items, lines = layout.tables
    fields = {
        "vendor": {"name": "ACME", "address": {"city": "Ghent"}},
        "total": {"amount": 12},
        "count": 3.0,
        "paid": "yes",
        "status": "open",
        "mixed": 4.5,
        "extra": {"b": 1, "a": [True]},
        "tags": ["x", "é"],
        "kind": 5,
        "items": [
            {"sku": "A-1", "price": {"amount": 2.5}, "notes": [{"k": 1}]},
            "not an object",
            {"sku": None},
        ],
        "order": {"lines": []},
    }
    (row,) = table_rows(main, _record(fields))
    assert {name: row[name] for name in main.column_names[7:]} == {
        "count": 3,
        "extra": '{"a":[true],"b":1}',
        "fields.kind": "5",
        "mixed": "4.5",
        "paid": None,
        "status": "open",
        "tags": '["x","é"]',
        "total.amount": 12.0,
        "vendor.address.city": "Ghent",
        "vendor.name": "ACME",
    }
    assert row["kind"] == "document_pages" and row["schema_version"] == 2
    base = {"document_id": "doc-1", "collection": "farm", "updated_at": WHEN, "watermark": 7}
    assert table_rows(items, _record(fields)) == [
        {**base, "index": 0, "notes": '[{"k":1}]', "price.amount": 2.5, "sku": "A-1"},
        {**base, "index": 2, "notes": None, "price.amount": None, "sku": None},
    ]
    assert table_rows(lines, _record(fields)) == []
    assert table_rows(items, _record(None)) == []


@pytest.mark.parametrize(
    ("column_type", "value", "expected"),
    [
        (ColumnType.INTEGER, 2**63, None),
        (ColumnType.INTEGER, True, None),
        (ColumnType.INTEGER, 2.5, None),
        (ColumnType.NUMBER, False, None),
        (ColumnType.NUMBER, "1.5", None),
        (ColumnType.NUMBER, 10**400, None),
        (ColumnType.STRING, True, "true"),
        (ColumnType.STRING, {"a": 1}, None),
        (ColumnType.BOOLEAN, 1, None),
        (ColumnType.JSON, "text", '"text"'),
        (ColumnType.TIMESTAMP, "2026-01-01", None),
    ],
)
def test_a_value_that_does_not_fit_its_column_is_null(
    column_type: ColumnType, value: Any, expected: Any
) -> None:
    assert typed_value(column_type, value) == expected


def test_a_field_named_like_a_fixed_column_is_prefixed_and_schema_loops_end() -> None:
    schema = {
        "type": "object",
        "$defs": {"loop": {"$ref": "#/$defs/loop"}},
        "properties": {
            "watermark": {"type": "string"},
            "fields.watermark": {"type": "integer"},
            "spin": {"$ref": "#/$defs/loop"},
            "missing": {"$ref": "#/$defs/nowhere"},
        },
    }
    (main,) = schema_layout("odd", 1, schema).tables
    assert main.column_names[7:] == ["fields.watermark", "missing", "spin"]
    assert [c.type for c in main.columns[7:]] == [
        ColumnType.INTEGER,
        ColumnType.JSON,
        ColumnType.JSON,
    ]


def _encode(export_format: ExportFormat, table: Any, batches: list[list[dict[str, Any]]]) -> bytes:
    encoder = encoder_for(export_format, table, row_group_rows=2)
    chunks = [encoder.start(), *(encoder.rows(batch) for batch in batches), encoder.finish()]
    return b"".join(chunks)


def test_every_format_reads_back_to_the_same_rows() -> None:
    layout = schema_layout("invoice", 2, SCHEMA)
    main, items, _ = layout.tables
    fields = {
        "vendor": {"name": 'ACME, "the" best\nfarm'},
        "total": {"amount": 0.1},
        "paid": False,
        "items": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}],
    }
    rows = table_rows(items, _record(fields))
    batches = [rows[:1], [], rows[1:]]
    as_json = [
        json.loads(line)
        for line in _encode(ExportFormat.JSONL, items, batches).split(b"\n")
        if line
    ]
    assert as_json == [{**row, "updated_at": WHEN.isoformat()} for row in rows]
    parquet = _encode(ExportFormat.PARQUET, items, batches)
    assert pq.ParquetFile(io.BytesIO(parquet)).num_row_groups == 2
    assert pq.read_table(io.BytesIO(parquet)).to_pylist() == rows
    (main_row,) = table_rows(main, _record(fields))
    text = _encode(ExportFormat.CSV, main, [[main_row]]).decode()
    header, line = list(csv.reader(io.StringIO(text)))
    assert header == main.column_names
    assert dict(zip(header, line, strict=True)) == {
        **{name: "" for name in header},
        "document_id": "doc-1",
        "collection": "farm",
        "updated_at": "2026-03-01T12:30:00+00:00",
        "watermark": "7",
        "kind": "document_pages",
        "schema": "invoice",
        "schema_version": "2",
        "paid": "false",
        "total.amount": "0.1",
        "vendor.name": 'ACME, "the" best\nfarm',
    }


def test_an_empty_parquet_export_is_a_valid_file_with_the_columns() -> None:
    (main,) = text_layout().tables
    table = pq.read_table(io.BytesIO(_encode(ExportFormat.PARQUET, main, [])))
    assert table.num_rows == 0
    assert table.column_names == main.column_names
    assert _encode(ExportFormat.CSV, main, []).decode() == ",".join(main.column_names) + "\r\n"
    assert _encode(ExportFormat.JSONL, main, []) == b""
