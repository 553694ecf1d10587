"""Local tier, PDF pages: the PyMuPDF text layer, or RapidOCR where the page has none; PDFium
for pages MuPDF cannot read."""

from pipeline.engines.base import ChunkJob, ExtractionResult, page_result
from pipeline.engines.pdfium_pages import pdfium_page_result, read_by_pdfium
from pipeline.engines.resources import EngineResources
from pipeline.errors import InvalidChunkError, PdfError
from pipeline.local.pdf_page import local_pdf_page
from schemas.enums import ChunkKind, Tier

__all__ = ["LocalPdfPageEngine", "page_index"]


def page_index(job: ChunkJob) -> int:
    """The 0-based page a PDF page chunk stands for."""
    if job.chunk.page_number is None:
        raise InvalidChunkError("a PDF page chunk has no page number")
    return job.chunk.page_number - 1


class LocalPdfPageEngine:
    """Text layer and ruled tables with PyMuPDF; OCR of scanned or unusable pages."""

    tier = Tier.LOCAL
    kinds = frozenset({ChunkKind.PDF_PAGE})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        index = page_index(job)
        if read_by_pdfium(job):
            return pdfium_page_result(job, index, resources)
        try:
            with resources.pdfs.open(job.path) as document:
                content = local_pdf_page(document, index, job.chunk.has_text_layer, resources.ocr)
        except PdfError as error:
            return pdfium_page_result(job, index, resources, mupdf_error=error)
        return page_result(content)
