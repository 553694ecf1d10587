"""PDF pages on the MoE tier: render at the budget, ask the model for page_content."""

import pymupdf
from PIL import Image

from pipeline.model.attempts import VlmEngine, VlmOutcome
from pipeline.model.page_answer import page_content_from_answer
from pipeline.model.prompts import page_content_prompt
from pipeline.model.render import RenderedImage, render_image, render_pdf_page
from pipeline.sources.mupdf import MUPDF_LOCK, mupdf_errors
from schemas.budget import VisualBudget
from schemas.enums import ErrorCategory
from schemas.extractions import PageContent, PageSize, Provenance

__all__ = ["extract_image_on_moe", "extract_page_on_moe"]


def extract_page_on_moe(
    document: pymupdf.Document, page_index: int, budget: VisualBudget, engine: VlmEngine
) -> tuple[PageContent | None, VlmOutcome]:
    """The model's page_content for one page, or None when every attempt failed (fall back)."""
    with (
        MUPDF_LOCK,
        mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"),
    ):
        page = document.load_page(page_index)
        rect, rotation = page.rect, page.rotation

    def render(step_budget: VisualBudget) -> RenderedImage:
        with (
            MUPDF_LOCK,
            mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be rendered"),
        ):
            return render_pdf_page(page, step_budget)

    outcome = engine.extract_visual(page_content_prompt(), budget, render)
    if outcome.fell_back:
        return None, outcome
    size = PageSize.model_validate(
        {"width": round(rect.width, 2), "height": round(rect.height, 2), "rotation": rotation % 360}
    )
    data = page_content_from_answer(outcome.value, size, engine=f"vllm:{outcome.model}")
    provenance = Provenance(
        page_number=page_index + 1, bbox=(0.0, 0.0, round(rect.width, 2), round(rect.height, 2))
    )
    return PageContent(data=data, provenance=provenance), outcome


def extract_image_on_moe(
    image: Image.Image, page_number: int, budget: VisualBudget, engine: VlmEngine
) -> tuple[PageContent | None, VlmOutcome]:
    """The model's page_content for a decoded image or video frame (boxes in pixels)."""

    def render(step_budget: VisualBudget) -> RenderedImage:
        return render_image(image, step_budget)

    outcome = engine.extract_visual(page_content_prompt(), budget, render)
    if outcome.fell_back:
        return None, outcome
    size = PageSize(width=image.width, height=image.height, unit="px")
    data = page_content_from_answer(outcome.value, size, engine=f"vllm:{outcome.model}")
    provenance = Provenance(
        page_number=page_number, bbox=(0.0, 0.0, float(image.width), float(image.height)), unit="px"
    )
    return PageContent(data=data, provenance=provenance), outcome
