"""The embedded CPU tier for PDF pages: the text layer when it is usable, OCR otherwise."""

import pymupdf

from pipeline.local.native_text import extract_native_page, read_native_page
from pipeline.local.ocr import render_pdf_page_for_ocr, rendered_page_content
from pipeline.local.ocr_engine import OcrEngine
from pipeline.local.text_layer import assess_text_layer
from pipeline.sources.mupdf import MUPDF_LOCK, mupdf_errors
from schemas.enums import ErrorCategory
from schemas.extractions import PageContent

__all__ = ["local_pdf_page"]


def local_pdf_page(
    document: pymupdf.Document, page_index: int, has_text_layer: bool | None, ocr: OcrEngine
) -> PageContent:
    """A page's text layer, or OCR when the page has none or it is unusable (garbage, hidden).

    The page's text is extracted once, for the check and the blocks. MuPDF's lock is held
    while the page is read or rendered, never while OCR runs. A page MuPDF cannot load or
    measure fails alone as `page_error`."""
    with (
        MUPDF_LOCK,
        mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"),
    ):
        if has_text_layer is False:
            page = document.load_page(page_index)
        else:
            read = read_native_page(document, page_index)
            page = read.page
            assessment = assess_text_layer(page, page_dict=read.page_dict)
            if not assessment.needs_ocr:
                return extract_native_page(document, page_index, assessment.image_boxes, read)
        rendered = render_pdf_page_for_ocr(page)
    return rendered_page_content(ocr, rendered)
