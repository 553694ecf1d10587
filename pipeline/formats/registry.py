"""Which reader reads which media type."""

from pipeline.errors import PipelineError
from pipeline.formats.base import FormatReader
from pipeline.formats.csv_reader import CsvReader
from pipeline.formats.docx_reader import DocxReader
from pipeline.formats.epub import EpubReader
from pipeline.formats.html import HtmlReader
from pipeline.formats.legacy import LegacyOfficeReader
from pipeline.formats.mail import MailReader
from pipeline.formats.markdown import MarkdownReader
from pipeline.formats.odf_reader import OdfReader
from pipeline.formats.plain_text import PlainTextReader
from pipeline.formats.pptx_reader import PptxReader
from pipeline.formats.rtf import RtfReader
from pipeline.formats.xls_reader import XlsReader
from pipeline.formats.xlsx_reader import XlsxReader
from schemas.enums import ErrorCategory, MediaType

__all__ = ["READERS", "reader_for"]

READERS: tuple[FormatReader, ...] = (
    DocxReader(),
    PptxReader(),
    XlsxReader(),
    CsvReader(),
    OdfReader(),
    XlsReader(),
    LegacyOfficeReader(),
    HtmlReader(),
    MarkdownReader(),
    PlainTextReader(),
    RtfReader(),
    EpubReader(),
    MailReader(),
)
"""Every built-in reader; a new format is one reader module and one entry here."""


def reader_for(media_type: MediaType) -> FormatReader:
    """The reader of `media_type`, or `unsupported_media` when none reads it."""
    for reader in READERS:
        if media_type in reader.media_types:
            return reader
    raise PipelineError(
        ErrorCategory.UNSUPPORTED_MEDIA,
        f"{media_type.value} files are recognised but not supported by this version",
    )
