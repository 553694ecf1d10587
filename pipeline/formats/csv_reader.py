"""CSV and TSV: the text decoded (`sources.text_decoding`: BOM, UTF-8, detection), the dialect
sniffed from the first 16 KiB (TSV: tabs; CSV: comma, semicolon, pipe or tab, whichever the
sample splits most consistently), one table cut into `ROWS_PER_CHUNK`-row chunks, the first
row the header of each."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.formats.content import page_content
from pipeline.formats.sheets import SheetRows, sheet_blocks, sheet_chunks, used_range
from pipeline.sources.sniff import sniff_file
from pipeline.sources.text_decoding import decode_text
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["CsvReader", "read_delimited"]

_SAMPLE_CHARS = 16 * 1024
_CSV_DELIMITERS = ",;|\t"
_MAX_FIELD = 16 * 1024 * 1024


class CsvReader:
    """Delimited text (CSV, TSV) as one table."""

    name = "csv"
    media_types = frozenset({MediaType.CSV, MediaType.TSV})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        sheet = read_delimited(path, media_type)
        yield from sheet_chunks(len(sheet.rows), 0, 1, None)

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        sheet = read_delimited(path, sniff_file(path))
        return page_content(sheet_blocks(sheet, chunk), self.name)


def read_delimited(path: Path, media_type: MediaType) -> SheetRows:
    """The file's rows over their used range."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the file cannot be read: {exc}") from exc
    text = decode_text(data).text
    sample = text[:_SAMPLE_CHARS]
    dialect = _dialect(sample[: sample.rfind("\n") + 1] or sample, media_type)
    csv.field_size_limit(_MAX_FIELD)
    try:
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise SourceError(
            ErrorCategory.CORRUPT_FILE, f"the delimited text is broken: {exc}"
        ) from exc
    return used_range(rows)


def _dialect(sample: str, media_type: MediaType) -> type[csv.Dialect] | csv.Dialect:
    if media_type is MediaType.TSV:
        return csv.excel_tab
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CSV_DELIMITERS)
    except csv.Error:
        return csv.excel
