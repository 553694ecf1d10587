"""XLSX through openpyxl: the cached values (`data_only=True`: a formula gives the value Excel
last computed, empty when it never was), as displayed; one table per visible sheet.

Hidden and very hidden sheets are skipped (they are not what the reader of the workbook sees;
the chunk list says which sheets were read). Hidden rows and columns are kept. Files up to
`FULL_LOAD_BYTES` are loaded whole, which gives merged cells; larger ones are streamed
(`read_only=True`), without merges. openpyxl parses XML with defusedxml (entity declarations
refused). Its failures (`InvalidFileException`, `BadZipFile`, `KeyError` for a missing part,
XML errors, `ValueError`, `TypeError`) become `corrupt_file`; a sheet whose part is missing
(openpyxl drops it silently) keeps its chunk, which fails alone as `page_error`.
"""

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
from lxml import etree
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

__all__ = ["FULL_LOAD_BYTES", "XlsxReader"]

FULL_LOAD_BYTES = 20 * 1024 * 1024
_WORKBOOK_PART = "xl/workbook.xml"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ERRORS = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    etree.XMLSyntaxError,
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
        loaded = {sheet.name or "": sheet for sheet in read_xlsx(path)}
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
        for sheet in read_xlsx(path, only=chunk.part):
            return page_content(sheet_blocks(sheet, chunk), self.name)
        raise SourceError(
            ErrorCategory.PAGE_ERROR,
            f"sheet {chunk.part!r} is listed in the workbook but its part is missing or unreadable",
        )


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


def read_xlsx(path: Path, only: str | None = None) -> list[SheetRows]:
    """The visible sheets (or only the one named `only`) as displayed rows."""
    check_container(path)
    streamed = path.stat().st_size > FULL_LOAD_BYTES
    with path.open("rb") as handle:  # a file object: openpyxl judges a *name* by its suffix
        return _read_workbook(handle, streamed, only)


def _read_workbook(handle: BinaryIO, streamed: bool, only: str | None) -> list[SheetRows]:
    with _openpyxl_errors("the XLSX cannot be read"):
        workbook = openpyxl.load_workbook(
            handle, read_only=streamed, data_only=True, keep_links=False
        )
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            if getattr(worksheet, "sheet_state", "visible") != "visible":
                continue
            if only is not None and worksheet.title != only:
                continue
            with _openpyxl_errors(f"sheet {worksheet.title!r} cannot be read", page=True):
                sheets.append(_sheet_rows(worksheet, streamed))
        return sheets
    finally:
        with _openpyxl_errors("the XLSX cannot be closed"):
            workbook.close()


def _sheet_rows(worksheet: Any, streamed: bool) -> SheetRows:
    rows = [
        [display_value(cell.value, getattr(cell, "number_format", "General")) for cell in row]
        for row in worksheet.iter_rows()
    ]
    merges: list[Merge] = []
    if not streamed:
        for merged in worksheet.merged_cells.ranges:
            merges.append(
                (merged.min_row - 1, merged.min_col - 1, merged.max_row - 1, merged.max_col - 1)
            )
    sheet = used_range(rows, merges)
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
