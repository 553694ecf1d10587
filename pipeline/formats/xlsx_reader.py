"""XLSX through openpyxl: the cached values (`data_only=True`: a formula gives the value Excel
last computed, empty when it never was), as displayed; one table per visible sheet.

Hidden and very hidden sheets are skipped (they are not what the reader of the workbook sees;
the chunk list says which sheets were read). Hidden rows and columns are kept. The workbook is
streamed (`read_only=True`): a sheet's XML is parsed only when its rows are read, so a chunk's
job parses its own sheet only, up to the end of its row range (its table's columns are those
of the rows it read, the header's included); merged ranges, which streaming does not give,
are read from the sheet's `mergeCell` elements (`sheet_merges`). openpyxl parses XML with
defusedxml (entity declarations refused). Its failures (`InvalidFileException`,
`BadZipFile`, `KeyError` for a missing part, XML errors, `ValueError`, `TypeError`) become
`corrupt_file`; a sheet whose part is missing (openpyxl drops it silently) or broken keeps
its chunk, which fails alone as `page_error`.
"""

import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from lxml import etree
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from pipeline.errors import PipelineError, SourceError
from pipeline.formats.content import page_content
from pipeline.formats.sheets import (
    Merge,
    SheetRows,
    display_value,
    sheet_blocks,
    sheet_chunks,
    used_range,
)
from pipeline.sources.members import check_container, read_member
from pipeline.sources.safe_xml import parse_xml
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["XlsxReader", "listed_sheets", "sheet_merges"]

_WORKBOOK_PART = "xl/workbook.xml"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MERGE_CELLS = re.compile(rb"<(?:\w{1,20}:)?mergeCells[\s>]")
_MERGE_REF = re.compile(
    rb"<(?:\w{1,20}:)?mergeCell\s[^>]{0,200}?ref=\"([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})\""
)
_ERRORS = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    etree.XMLSyntaxError,
    SyntaxError,  # ElementTree's ParseError, from openpyxl's streaming parser
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,
)


class XlsxReader:
    """Excel workbooks (XLSX) by their sheets."""

    name = "xlsx"
    media_types = frozenset({MediaType.XLSX})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        loaded = {sheet.name or "": sheet for sheet in read_xlsx(path, skip_broken=True)}
        names = [name for name, state in listed_sheets(path) if state == "visible"]
        names = names or list(loaded)
        if not names:
            raise SourceError(ErrorCategory.NO_PAGES, "the workbook has no visible sheet")
        seq = 0
        for number, name in enumerate(names, start=1):
            rows = len(loaded[name].rows) if name in loaded else 0
            for chunk in sheet_chunks(rows, seq, number, name):
                yield chunk
                seq += 1

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        for sheet in read_xlsx(path, only=chunk.part, row_limit=chunk.row_end or None):
            return page_content(sheet_blocks(sheet, chunk), self.name)
        raise SourceError(
            ErrorCategory.PAGE_ERROR,
            f"sheet {chunk.part!r} is listed in the workbook but its part is missing or unreadable",
        )


def sheet_merges(path: Path, member: str) -> list[Merge]:
    """The merged ranges of the sheet stored at `member` (0-based, inclusive), from its
    `mergeCell ref="A1:B2"` elements: a byte search, since they sit after all the rows."""
    if not member:
        return []
    data = read_member(path, member.lstrip("/"))
    start = _MERGE_CELLS.search(data)
    if start is None:
        return []
    merges: list[Merge] = []
    for found in _MERGE_REF.finditer(data, start.start()):
        try:
            min_col, min_row, max_col, max_row = range_boundaries(found.group(1).decode())
        except (ValueError, TypeError):
            continue
        if None not in (min_col, min_row, max_col, max_row):
            merges.append((min_row - 1, min_col - 1, max_row - 1, max_col - 1))
    return merges


def listed_sheets(path: Path) -> list[tuple[str, str]]:
    """(name, state) of every sheet `xl/workbook.xml` lists, in order; openpyxl silently
    drops a sheet whose part is missing, this list still names it so its chunk fails alone."""
    try:
        root = parse_xml(read_member(path, _WORKBOOK_PART), _WORKBOOK_PART)
    except SourceError:
        return []
    return [
        (sheet.get("name") or "", sheet.get("state") or "visible")
        for sheet in root.iter(f"{{{_MAIN_NS}}}sheet")
    ]


def read_xlsx(
    path: Path, only: str | None = None, row_limit: int | None = None, skip_broken: bool = False
) -> list[SheetRows]:
    """The visible sheets (or only the one named `only`) as displayed rows; `skip_broken`
    leaves out a sheet that cannot be read (its chunk then fails alone)."""
    check_container(path)
    with path.open("rb") as handle:  # a file object: openpyxl judges a *name* by its suffix
        return _read_workbook(path, handle, only, row_limit, skip_broken)


def _read_workbook(
    path: Path, handle: BinaryIO, only: str | None, row_limit: int | None, skip_broken: bool
) -> list[SheetRows]:
    with _openpyxl_errors("the XLSX cannot be read"):
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True, keep_links=False)
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            if getattr(worksheet, "sheet_state", "visible") != "visible":
                continue
            if only is not None and worksheet.title != only:
                continue
            try:
                with _openpyxl_errors(f"sheet {worksheet.title!r} cannot be read", page=True):
                    sheets.append(_sheet_rows(path, worksheet, row_limit))
            except SourceError:
                if not skip_broken:
                    raise
        return sheets
    finally:
        with _openpyxl_errors("the XLSX cannot be closed"):
            workbook.close()


def _sheet_rows(path: Path, worksheet: Any, row_limit: int | None) -> SheetRows:
    """The sheet's displayed rows; with `row_limit`, parsing stops once that many rows of the
    used range (counted from its first non-empty row) are read."""
    rows: list[list[str]] = []
    top: int | None = None
    for row in worksheet.iter_rows():
        texts = [display_value(c.value, getattr(c, "number_format", "General")) for c in row]
        rows.append(texts)
        if top is None and any(texts):
            top = len(rows) - 1
        if row_limit is not None and top is not None and len(rows) - top >= row_limit:
            break
    sheet = used_range(rows, sheet_merges(path, getattr(worksheet, "_worksheet_path", "")))
    sheet.name = worksheet.title
    return sheet


@contextmanager
def _openpyxl_errors(what: str, page: bool = False) -> Iterator[None]:
    try:
        yield
    except PipelineError:
        raise
    except _ERRORS as exc:
        category = ErrorCategory.PAGE_ERROR if page else ErrorCategory.CORRUPT_FILE
        detail = f"missing part {exc}" if isinstance(exc, KeyError) else str(exc)
        raise SourceError(category, f"{what}: {detail}") from exc
