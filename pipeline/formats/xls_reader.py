"""Legacy Excel workbooks (XLS, BIFF) through xlrd: one table per visible sheet, merged
ranges as spans (xlrd reports them with `formatting_info=True`), dates as ISO dates and
numbers through their format string like XLSX (`sheets.display_value`).

xlrd raises `XLRDError`, `CompDocError`, `struct.error`, `IndexError`, `KeyError`,
`ValueError`, `AssertionError` and `UnicodeDecodeError` on damaged files: all `corrupt_file`.
"""

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xlrd
from xlrd.compdoc import CompDocError

from pipeline.errors import SourceError
from pipeline.formats.content import page_content
from pipeline.formats.sheets import (
    Merge,
    SheetRows,
    display_value,
    sheet_blocks,
    sheet_chunks,
    used_range,
)
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["XlsReader", "read_xls"]

_ERRORS = (
    xlrd.XLRDError,
    CompDocError,
    struct.error,
    IndexError,
    KeyError,
    ValueError,
    AssertionError,
    UnicodeDecodeError,
    OSError,
    EOFError,
)


class XlsReader:
    """Excel 97-2003 workbooks (XLS) by their sheets."""

    name = "xls"
    media_types = frozenset({MediaType.XLS})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        sheets = read_xls(path)
        if not sheets:
            raise SourceError(ErrorCategory.NO_PAGES, "the workbook has no visible sheet")
        seq = 0
        for number, sheet in enumerate(sheets, start=1):
            for chunk in sheet_chunks(len(sheet.rows), seq, number, sheet.name):
                yield chunk
                seq += 1

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        for sheet in read_xls(path):
            if sheet.name == chunk.part:
                return page_content(sheet_blocks(sheet, chunk), self.name)
        raise SourceError(ErrorCategory.PAGE_ERROR, f"sheet {chunk.part!r} is not in the workbook")


def read_xls(path: Path) -> list[SheetRows]:
    """The visible sheets as displayed rows."""
    try:
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    except _ERRORS as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the XLS cannot be read: {exc}") from exc
    try:
        sheets = []
        for index in range(book.nsheets):
            try:
                sheet = book.sheet_by_index(index)
                if sheet.visibility != 0:
                    continue
                sheets.append(_sheet_rows(book, sheet))
            except _ERRORS as exc:
                raise SourceError(
                    ErrorCategory.CORRUPT_FILE, f"sheet {index + 1} cannot be read: {exc}"
                ) from exc
        return sheets
    finally:
        book.release_resources()


def _sheet_rows(book: Any, sheet: Any) -> SheetRows:
    rows = [
        [_cell_text(book, sheet.cell(r, c)) for c in range(sheet.ncols)] for r in range(sheet.nrows)
    ]
    merges: list[Merge] = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in sheet.merged_cells]
    result = used_range(rows, merges)
    result.name = sheet.name
    return result


def _cell_text(book: Any, cell: Any) -> str:
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return display_value(xlrd.xldate_as_datetime(cell.value, book.datemode))
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return str(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return display_value(bool(cell.value))
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return str(xlrd.error_text_from_code.get(cell.value, "#ERR"))
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return display_value(float(cell.value), _number_format(book, cell))
    return display_value(cell.value)


def _number_format(book: Any, cell: Any) -> str:
    try:
        key = book.xf_list[cell.xf_index].format_key
        return str(book.format_map[key].format_str)
    except (IndexError, KeyError, AttributeError, TypeError):
        return "General"
