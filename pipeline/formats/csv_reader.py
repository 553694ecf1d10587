"""CSV and TSV: the text decoded (`sources.text_decoding`: BOM, UTF-8, detection), the dialect
sniffed from the first 16 KiB (TSV: tabs; CSV: comma, semicolon, pipe or tab, whichever the
sample splits most consistently), one table cut into `ROWS_PER_CHUNK`-row chunks, the first
row the header of each.

Rows are the file's records with at least one non-blank field (blank lines dropped); columns
are the file's own, none trimmed. Rows are streamed: chunking counts them, a chunk's job keeps
the header and its own range and stops parsing at the range's end.
"""

import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.formats.content import page_content
from pipeline.formats.sheets import SheetRows, sheet_blocks, sheet_chunks
from pipeline.sources.sniff import sniff_file
from pipeline.sources.text_decoding import decode_text
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["CsvReader", "delimited_rows"]

_SAMPLE_CHARS = 16 * 1024
_CSV_DELIMITERS = ",;|\t"
_MAX_FIELD = 16 * 1024 * 1024


class CsvReader:
    """Delimited text (CSV, TSV) as one table."""

    name = "csv"
    media_types = frozenset({MediaType.CSV, MediaType.TSV})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        count = sum(1 for _ in delimited_rows(path, media_type))
        yield from sheet_chunks(count, 0, 1, None)

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        start = chunk.row_start or 0
        rows = delimited_rows(path, sniff_file(path))
        header = next(rows, None)
        if header is None:
            return page_content([], self.name)
        if chunk.row_end is None:
            taken = [header, *rows]
        elif start == 0:
            taken = [header, *itertools.islice(rows, chunk.row_end - 1)]
        else:
            taken = [header, *itertools.islice(rows, start - 1, chunk.row_end - 1)]
        width = max(len(row) for row in taken)
        sheet = SheetRows(None, [row + [""] * (width - len(row)) for row in taken])
        local = chunk.model_copy(update={"row_start": min(start, 1), "row_end": len(taken)})
        return page_content(sheet_blocks(sheet, local), self.name)


def delimited_rows(path: Path, media_type: MediaType) -> Iterator[list[str]]:
    """The file's non-blank records, fields stripped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the file cannot be read: {exc}") from exc
    text = decode_text(data).text
    del data
    sample = text[:_SAMPLE_CHARS]
    dialect = _dialect(sample[: sample.rfind("\n") + 1] or sample, media_type)
    csv.field_size_limit(_MAX_FIELD)
    try:
        for record in csv.reader(io.StringIO(text), dialect):
            row = [field.strip() for field in record]
            if any(row):
                yield row
    except csv.Error as exc:
        raise SourceError(
            ErrorCategory.CORRUPT_FILE, f"the delimited text is broken: {exc}"
        ) from exc


def _dialect(sample: str, media_type: MediaType) -> type[csv.Dialect] | csv.Dialect:
    if media_type is MediaType.TSV:
        return csv.excel_tab
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CSV_DELIMITERS)
    except csv.Error:
        return csv.excel
