"""Rows of one export table encoded as JSONL, CSV or Parquet, chunk by chunk, so an export is
streamed and never held whole.

- JSONL: one JSON object per row, keys in column order; timestamps as ISO 8601 text.
- CSV (RFC 4180, UTF-8, `\\r\\n`): a header of the table's columns, then rows; null is the
  empty field, booleans `true`/`false`, timestamps ISO 8601.
- Parquet: one typed column per table column (string, float64, int64, bool,
  timestamp[us, UTC]; `json` columns as strings), written in row groups as rows arrive; the
  footer closes the stream.

pyarrow is imported only when Parquet is asked for (it ships with the `api` extra).
"""

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from schemas.exports.layout import ColumnType, ExportTable
from schemas.exports.rows import Row

__all__ = [
    "MEDIA_TYPES",
    "ExportFormat",
    "TableEncoder",
    "encoder_for",
]

PARQUET_ROW_GROUP_ROWS = 10_000


class ExportFormat(StrEnum):
    """The formats of an export."""

    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"


MEDIA_TYPES = {
    ExportFormat.JSONL: "application/x-ndjson",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PARQUET: "application/vnd.apache.parquet",
}


class TableEncoder(Protocol):
    """Bytes of one table's file: `start()`, then `rows()` for each batch, then `finish()`."""

    def start(self) -> bytes: ...

    def rows(self, rows: Sequence[Row]) -> bytes: ...

    def finish(self) -> bytes: ...


def encoder_for(
    export_format: ExportFormat, table: ExportTable, row_group_rows: int = PARQUET_ROW_GROUP_ROWS
) -> TableEncoder:
    """A fresh encoder of `table` in `export_format`."""
    if export_format is ExportFormat.JSONL:
        return JsonLinesEncoder(table)
    if export_format is ExportFormat.CSV:
        return CsvEncoder(table)
    return ParquetEncoder(table, row_group_rows)


class JsonLinesEncoder:
    """One compact JSON object per line."""

    def __init__(self, table: ExportTable) -> None:
        self._names = table.column_names

    def start(self) -> bytes:
        return b""

    def rows(self, rows: Sequence[Row]) -> bytes:
        lines = [
            json.dumps(
                {name: _json_value(row[name]) for name in self._names},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            for row in rows
        ]
        return "".join(line + "\n" for line in lines).encode()

    def finish(self) -> bytes:
        return b""


class CsvEncoder:
    """A header line, then one line per row."""

    def __init__(self, table: ExportTable) -> None:
        self._names = table.column_names

    def start(self) -> bytes:
        return self._lines([self._names])

    def rows(self, rows: Sequence[Row]) -> bytes:
        return self._lines([[csv_text(row[name]) for name in self._names] for row in rows])

    def finish(self) -> bytes:
        return b""

    @staticmethod
    def _lines(lines: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(lines)
        return buffer.getvalue().encode()


def csv_text(value: Any) -> str:
    """A typed value as its CSV field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


class ParquetEncoder:
    """Row groups of up to `row_group_rows` rows, each handed out once it is written."""

    def __init__(self, table: ExportTable, row_group_rows: int) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self._schema = pa.schema([(c.name, _arrow_type(pa, c.type)) for c in table.columns])
        self._sink = _Drain()
        self._writer = pq.ParquetWriter(self._sink, self._schema, compression="zstd")
        self._pending: list[Row] = []
        self._row_group_rows = row_group_rows

    def start(self) -> bytes:
        return self._sink.take()

    def rows(self, rows: Sequence[Row]) -> bytes:
        self._pending.extend(rows)
        while len(self._pending) >= self._row_group_rows:
            self._write(self._pending[: self._row_group_rows])
            del self._pending[: self._row_group_rows]
        return self._sink.take()

    def finish(self) -> bytes:
        if self._pending:
            self._write(self._pending)
            self._pending = []
        self._writer.close()
        return self._sink.take()

    def _write(self, rows: list[Row]) -> None:
        self._writer.write_table(self._pa.Table.from_pylist(rows, schema=self._schema))


def _arrow_type(pa: Any, column_type: ColumnType) -> Any:
    return {
        ColumnType.STRING: pa.string(),
        ColumnType.JSON: pa.string(),
        ColumnType.NUMBER: pa.float64(),
        ColumnType.INTEGER: pa.int64(),
        ColumnType.BOOLEAN: pa.bool_(),
        ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    }[column_type]


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class _Drain(io.RawIOBase):
    """A write-only sink that keeps what was written until taken, and counts every byte
    (Parquet's footer records offsets from `tell()`)."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        """Everything written since the last take."""
        taken = b"".join(self._chunks)
        self._chunks.clear()
        return taken
