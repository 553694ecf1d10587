"""The local tier for pages PDFium reads where MuPDF could not: its text, or OCR of its render."""

from pathlib import Path

from PIL import Image

from pipeline.errors import PdfError
from pipeline.local.ocr import OcrSettings, RenderedPage, rendered_page_content
from pipeline.local.ocr_engine import OcrEngine
from pipeline.sources.pdf import page_rotation
from pipeline.sources.pdfium import open_pdfium
from schemas.blocks import Block, BlockKind
from schemas.enums import ErrorCategory
from schemas.extractions import PageContent, PageContentData, PageSize, Provenance

__all__ = ["OCR_ENGINE_NAME", "TEXT_ENGINE_NAME", "pdfium_page_content", "pdfium_page_picture"]

TEXT_ENGINE_NAME = "pdfium-text"
OCR_ENGINE_NAME = "pdfium+rapidocr"
PICTURE_DPI = 200.0
"""Enough for the largest visual budget; the picture is resized once to the budget's size."""


def pdfium_page_picture(path: Path, page_index: int) -> tuple[str, Image.Image]:
    """A page's text and its picture, for a model that reads the page (schema extraction)."""
    with open_pdfium(path) as document:
        text = document.read_page(page_index).text.strip()
        return text, document.render_page(page_index, PICTURE_DPI)


def pdfium_page_content(
    path: Path, page_index: int, ocr: OcrEngine, settings: OcrSettings | None = None
) -> PageContent:
    """A page as PDFium reads it: its text layer (one block per paragraph, boxed by the page),
    or, when it has none, OCR of the page PDFium rendered. PDFium's lock is not held during
    OCR."""
    settings = settings or OcrSettings()
    with open_pdfium(path) as document:
        page = document.read_page(page_index)
        if page.width <= 0 or page.height <= 0:
            raise PdfError(
                ErrorCategory.PAGE_ERROR,
                f"page {page_index + 1} has no area ({page.width} x {page.height} pt)",
            )
        rotation = page_rotation(page.rotation)
        image = None if page.text.strip() else document.render_page(page_index, settings.dpi)
    if image is not None:
        rendered = RenderedPage(image, page.width, page.height, rotation, page_index + 1)
        content = rendered_page_content(ocr, rendered, settings)
        return content.model_copy(
            update={"data": content.data.model_copy(update={"engine": OCR_ENGINE_NAME})}
        )
    size = PageSize(width=round(page.width, 2), height=round(page.height, 2), rotation=rotation)
    box = (0.0, 0.0, size.width, size.height)
    paragraphs = [part.strip() for part in page.text.split("\n\n") if part.strip()]
    blocks = [
        Block(index=i, kind=BlockKind.PARAGRAPH, text=text, bbox=box)
        for i, text in enumerate(paragraphs)
    ]
    return PageContent(
        data=PageContentData.from_blocks(blocks, size, TEXT_ENGINE_NAME),
        provenance=Provenance(page_number=page_index + 1, bbox=box),
    )
