"""What every spreadsheet-like reader shares (XLSX, XLS, ODS, CSV/TSV): a sheet is one table
over its used range, cut into row ranges of `ROWS_PER_CHUNK` rows.

The used range is the bounding box of the non-empty cells. A sheet chunk's `row_start` and
`row_end` count rows of that range from 0 (end exclusive); every chunk after a sheet's first
repeats the range's first row as its header. Merged ranges become spans, clipped to the
chunk's rows. A workbook sheet's chunks open with its name as a level-2 section header (first
range only); a CSV has no name. Values are formatted as displayed where it is cheap
(`display_value`).
"""

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from pipeline.formats.content import block, table_block
from pipeline.formats.grid import GridBuilder
from schemas.blocks import Block, BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind

__all__ = [
    "ROWS_PER_CHUNK",
    "Merge",
    "SheetRows",
    "display_value",
    "sheet_blocks",
    "sheet_chunks",
    "used_range",
]

ROWS_PER_CHUNK = 2000
"""Rows per sheet chunk: a 2,000-row table reads in about a tenth of a second."""

Merge = tuple[int, int, int, int]
"""(first row, first column, last row, last column), 0-based and inclusive."""

_DECIMALS = re.compile(r"0\.(0+)")


@dataclass
class SheetRows:
    """A sheet's cells as displayed texts over its used range, and its merged ranges."""

    name: str | None
    rows: list[list[str]]
    merges: list[Merge] = field(default_factory=list)


def used_range(rows: Sequence[Sequence[str]], merges: Sequence[Merge] = ()) -> SheetRows:
    """Trim empty leading/trailing rows and columns; merges shifted to the trimmed grid."""
    filled = [(r, c) for r, row in enumerate(rows) for c, text in enumerate(row) if text]
    if not filled:
        return SheetRows(None, [], [])
    top = min(r for r, _ in filled)
    bottom = max(r for r, _ in filled)
    left = min(c for _, c in filled)
    right = max(c for _, c in filled)
    width = right - left + 1
    trimmed = [
        (list(row[left : right + 1]) + [""] * width)[:width] for row in rows[top : bottom + 1]
    ]
    shifted = [
        (r0 - top, c0 - left, r1 - top, c1 - left)
        for r0, c0, r1, c1 in merges
        if r1 >= top and r0 <= bottom and c1 >= left and c0 <= right
    ]
    return SheetRows(None, trimmed, shifted)


def sheet_chunks(
    row_count: int, first_seq: int, page_number: int, part: str | None
) -> Iterator[ChunkDescriptor]:
    """The row-range chunks of one sheet of `row_count` used rows."""
    for offset, start in enumerate(range(0, max(row_count, 1), ROWS_PER_CHUNK)):
        yield ChunkDescriptor(
            seq=first_seq + offset,
            kind=ChunkKind.SHEET,
            page_number=page_number,
            part=part,
            title=part[:500] if part else None,
            row_start=start,
            row_end=min(start + ROWS_PER_CHUNK, row_count),
        )


def sheet_blocks(sheet: SheetRows, chunk: ChunkDescriptor) -> list[Block]:
    """The chunk's blocks: the sheet's name (first range of a named sheet) and its table."""
    start = chunk.row_start or 0
    end = chunk.row_end if chunk.row_end is not None else len(sheet.rows)
    blocks: list[Block] = []
    if sheet.name and start == 0:
        blocks.append(block(BlockKind.SECTION_HEADER, sheet.name, level=2))
    if not sheet.rows:
        return blocks
    source_rows = list(range(start, min(end, len(sheet.rows))))
    if start > 0:
        source_rows.insert(0, 0)
    builder = GridBuilder()
    position = {source: index for index, source in enumerate(source_rows)}
    for r0, c0, r1, c1 in sorted(sheet.merges):
        inside = [r for r in range(r0, r1 + 1) if r in position]
        if inside:
            text = sheet.rows[r0][c0] if r0 in position else sheet.rows[inside[0]][c0]
            builder.place(position[inside[0]], c0, text, len(inside), c1 - c0 + 1)
    for index, source in enumerate(source_rows):
        for col, text in enumerate(sheet.rows[source]):
            builder.place(index, col, text)
    builder.n_rows = max(builder.n_rows, len(source_rows))
    builder.n_cols = max(builder.n_cols, len(sheet.rows[0]))
    blocks.append(table_block(builder.build(1)))
    return blocks


def display_value(value: object, number_format: str = "General") -> str:
    """A cell's value as a spreadsheet shows it, for the common formats: dates as ISO dates,
    percentages, fixed decimals, whole floats without `.0`, booleans as TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, int) and abs(value) < 2**53:
        return _float_text(float(value), number_format)  # 3125 stored for 3125.00
    if isinstance(value, int):
        return _grouped(str(value), number_format)
    if isinstance(value, float):
        return _float_text(value, number_format)
    return str(value).strip()


def _float_text(value: float, number_format: str) -> str:
    decimals_match = _DECIMALS.search(number_format)
    decimals = len(decimals_match.group(1)) if decimals_match else None
    if "%" in number_format:
        return f"{value * 100:.{decimals or 0}f}%"
    if decimals is not None:
        return _grouped(f"{value:.{decimals}f}", number_format)
    if value.is_integer() and abs(value) < 1e15:
        return _grouped(f"{int(value)}", number_format)
    return f"{value:.15g}"


def _grouped(text: str, number_format: str) -> str:
    if "#,##" not in number_format:
        return text
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    grouped = f"{int(whole.lstrip('-')):,}"
    return sign + grouped + (f".{fraction}" if fraction else "")
