"""The visual budget of a model-tier job planned without one, chosen when it runs.

A document read on the CPU tier is chunked without legibility measures (only the MoE tier's
budget reads them), so its jobs carry no budget. A reprocess that moves them to the MoE tier
(a tier or a schema asked for, no budget) leaves the choice to the job: it measures its page
or picture as chunking would have (`pipeline.sources.legibility`) and applies the same policy
(`pipeline.planning.jobs.chunk_budget`), so the budget is the one the chunk would have been
planned with.
"""

from dataclasses import asdict

import pymupdf
from PIL import Image

from pipeline.planning.jobs import chunk_budget
from pipeline.sources.legibility import measure_image, page_legibility
from pipeline.sources.mupdf import MUPDF_LOCK, mupdf_errors
from schemas.budget import VisualBudget
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory

__all__ = ["document_page_budget", "page_budget", "picture_budget"]


def document_page_budget(
    document: pymupdf.Document, page_index: int, chunk: ChunkDescriptor
) -> VisualBudget:
    """`page_budget` for a page of an open document, under MuPDF's lock; a page that cannot
    be measured fails as `page_error`."""
    with (
        MUPDF_LOCK,
        mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be measured"),
    ):
        return page_budget(chunk, document.load_page(page_index))


def page_budget(chunk: ChunkDescriptor, page: pymupdf.Page) -> VisualBudget:
    """The budget for a PDF page chunk: its text layer's smallest body font, else the text in
    its pixels. The caller holds MuPDF's lock and error boundary."""
    measures = page_legibility(page, bool(chunk.has_text_layer))
    rect = page.rect
    size = {"width": round(rect.width, 2), "height": round(rect.height, 2)}
    return chunk_budget(chunk.model_copy(update={**size, **asdict(measures)}))


def picture_budget(chunk: ChunkDescriptor, image: Image.Image) -> VisualBudget:
    """The budget for a chunk's decoded picture (an image, a video frame, a page PDFium
    rendered): the text measured in its pixels, against the picture's own size."""
    measure = measure_image(image)
    measured = chunk.model_copy(
        update={
            "width": image.width,
            "height": image.height,
            "text_chars": None,
            "min_font_pt": None,
            "text_area_share": measure.text_area_share,
            "min_text_height": measure.min_text_height,
        }
    )
    return chunk_budget(measured)
