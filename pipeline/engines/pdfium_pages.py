"""PDF pages MuPDF could not read, taken from PDFium (shared by the local and MoE engines).

A page chunked by PDFium (`chunk.parser == "pdfium"`) is read by PDFium; a page MuPDF opened
but could not load (`page_error`) gets one try with PDFium before it fails. Either way the
result's provenance says `parser: pdfium, repaired: true`."""

from pipeline.engines.base import ChunkJob, ExtractionResult, page_result
from pipeline.engines.resources import EngineResources
from pipeline.errors import PdfError
from pipeline.local.pdfium_page import pdfium_page_content
from pipeline.sources.pdfium import PDFIUM_PARSER
from schemas.enums import ErrorCategory

__all__ = ["pdfium_page_result", "read_by_pdfium"]

_PROVENANCE = {"parser": PDFIUM_PARSER, "repaired": True}


def read_by_pdfium(job: ChunkJob) -> bool:
    """True when the chunker took this page from PDFium (MuPDF cannot open the file)."""
    return job.chunk.parser == PDFIUM_PARSER


def pdfium_page_result(
    job: ChunkJob, index: int, resources: EngineResources, mupdf_error: PdfError | None = None
) -> ExtractionResult:
    """The page as PDFium reads it. After a MuPDF `page_error`, PDFium failing too re-raises
    MuPDF's error (the page's own failure, not the fallback's)."""
    if mupdf_error is not None and mupdf_error.category is not ErrorCategory.PAGE_ERROR:
        raise mupdf_error
    try:
        content = pdfium_page_content(job.path, index, resources.ocr)
    except PdfError as pdfium_error:
        if mupdf_error is None:
            raise
        raise mupdf_error from pdfium_error
    return page_result(content, None, _PROVENANCE)
