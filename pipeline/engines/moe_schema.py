"""MoE tier, extraction into a registered schema: a page, image or frame becomes `fields`
valid against the schema, next to the text the local tier read from the same page."""

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from typing import Any

import pymupdf

from pipeline.engines.base import ChunkJob, ExtractionResult, model_usage, planned_budget
from pipeline.engines.local_pages import page_index
from pipeline.engines.pdfium_pages import read_by_pdfium
from pipeline.engines.resources import EngineResources
from pipeline.engines.visual_inputs import decode_picture, frame_provenance
from pipeline.errors import InvalidChunkError
from pipeline.local.pdfium_page import pdfium_page_picture
from pipeline.model.grounding import Word, words_in_rows
from pipeline.model.render import RenderedImage, render_image, render_pdf_page
from pipeline.model.run_budget import page_budget, picture_budget
from pipeline.model.schema_fields import (
    SCHEMA_EXTRACTION,
    extract_fields,
    schema_extraction_data,
)
from pipeline.sources.mupdf import MUPDF_LOCK, mupdf_errors
from schemas.budget import VisualBudget
from schemas.enums import ChunkKind, ErrorCategory, Tier

__all__ = ["MoeSchemaEngine"]


class MoeSchemaEngine:
    """Fields of the job's schema, filled by the vision model (null after a fallback)."""

    tier = Tier.MOE
    kinds = frozenset({ChunkKind.PDF_PAGE, ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME})
    fills_schemas = True

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        schema = job.schema
        if schema is None:
            raise InvalidChunkError("the schema engine ran a job that asks for no schema")
        engine = resources.require_moe()
        provenance: dict[str, Any] = {"page_number": job.chunk.seq + 1}
        with ExitStack() as pins:  # a MuPDF document stays pinned while the model reads it
            source = _visual_source(job, resources, pins, provenance)
            outcome = extract_fields(schema, source.budget, source.render, engine)
        return ExtractionResult(
            kind=SCHEMA_EXTRACTION,
            data=schema_extraction_data(schema, outcome, source.text, source.words),
            provenance=provenance,
            engine=f"vllm:{outcome.model}",
            usage=model_usage(outcome),
        )


@dataclass(frozen=True)
class _Source:
    """The text the local tier reads next to the fields, its words with their boxes (for
    grounding the answer), how to render the chunk and at which budget (the planned one, else
    measured now)."""

    text: str
    render: Callable[[VisualBudget], RenderedImage]
    budget: VisualBudget
    words: tuple[Word, ...] = ()


def _visual_source(
    job: ChunkJob, resources: EngineResources, pins: ExitStack, provenance: dict[str, Any]
) -> _Source:
    planned = planned_budget(job)
    if job.chunk.kind is not ChunkKind.PDF_PAGE:
        provenance.update(frame_provenance(job))
        picture = decode_picture(job)
        budget = planned or picture_budget(job.chunk, picture)
        return _Source("", partial(render_image, picture), budget)
    if read_by_pdfium(job):
        text, picture = pdfium_page_picture(job.path, page_index(job))
        budget = planned or picture_budget(job.chunk, picture)
        return _Source(text, partial(render_image, picture), budget)
    document = pins.enter_context(resources.pdfs.open(job.path))
    return _pdf_page_source(document, page_index(job), job, planned)


def _pdf_page_source(
    document: pymupdf.Document, index: int, job: ChunkJob, planned: VisualBudget | None
) -> _Source:
    """The page's text layer and words (when it has one), its budget and a renderer holding
    MuPDF's lock."""
    words: tuple[Word, ...] = ()
    with (
        MUPDF_LOCK,
        mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {index + 1} cannot be read"),
    ):
        page = document.load_page(index)
        text = page.get_text("text").strip() if job.chunk.has_text_layer else ""
        if job.chunk.has_text_layer:
            words = words_in_rows(entry[:5] for entry in page.get_text("words"))
        budget = planned or page_budget(job.chunk, page)

    def render(step: VisualBudget) -> RenderedImage:
        with (
            MUPDF_LOCK,
            mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {index + 1} cannot be rendered"),
        ):
            return render_pdf_page(page, step)

    return _Source(text, render, budget, words)
