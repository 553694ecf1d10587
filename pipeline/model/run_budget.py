"""The visual budget of a model-tier job planned without one, chosen when it runs.

A document read on the CPU tier is chunked without legibility measures (only the MoE tier's
budget reads them), so its jobs carry no budget. A reprocess that moves them to the MoE tier
(a tier or a schema asked for, no budget) leaves the choice to the job: it measures its page
or picture as chunking would have (`pipeline.sources.legibility`) and applies the same policy
(`pipeline.planning.budget.choose_budget`), so the budget is the one the chunk would have been
planned with.
"""

import pymupdf
from PIL import Image

from pipeline.planning.budget import VisualChunkProfile, choose_budget
from pipeline.sources.legibility import measure_image, page_legibility
from schemas.budget import VisualBudget
from schemas.enums import ChunkKind

__all__ = ["page_budget", "picture_budget"]


def page_budget(page: pymupdf.Page, has_text_layer: bool | None) -> VisualBudget:
    """The budget for a PDF page: its text layer's smallest body font, else the text in its
    pixels. The caller holds MuPDF's lock and error boundary."""
    measures = page_legibility(page, bool(has_text_layer))
    rect = page.rect
    profile = VisualChunkProfile(
        kind=ChunkKind.PDF_PAGE,
        width=round(rect.width, 2),
        height=round(rect.height, 2),
        text_chars=measures.text_chars,
        min_font_pt=measures.min_font_pt,
        text_area_share=measures.text_area_share,
        min_text_height=measures.min_text_height,
    )
    return choose_budget(profile)


def picture_budget(kind: ChunkKind, image: Image.Image) -> VisualBudget:
    """The budget for a decoded picture of a `kind` chunk (an image, a video frame, a page
    PDFium rendered): the text measured in its pixels."""
    measure = measure_image(image)
    profile = VisualChunkProfile(
        kind=kind,
        width=image.width,
        height=image.height,
        text_area_share=measure.text_area_share,
        min_text_height=measure.min_text_height,
    )
    return choose_budget(profile)
