"""The embedded CPU tier for visual chunks: the text layer when it is usable, OCR otherwise."""

import pymupdf

from pipeline.local.native_text import extract_native_page
from pipeline.local.ocr import OcrSettings, pdf_page_content
from pipeline.local.text_layer import assess_text_layer
from schemas.extractions import PageContent

OCR_SETTINGS = OcrSettings(threads=1)
"""One onnxruntime thread per OCR call: workers parallelise across processes (one per core),
and a runtime that also spreads each call over every core oversubscribes them."""


def local_pdf_page(
    document: pymupdf.Document, page_index: int, has_text_layer: bool | None
) -> PageContent:
    """A page's text layer, or OCR when the page has none or it is unusable (garbage, hidden)."""
    if has_text_layer is not False:
        page = document.load_page(page_index)
        if not assess_text_layer(page).needs_ocr:
            return extract_native_page(document, page_index)
    return pdf_page_content(document.load_page(page_index), OCR_SETTINGS)
