"""MoE tier, PDF pages: Gemma 4 reads the page rendered at its budget; the local engine takes
over when every attempt failed (recorded as `fell_back`)."""

from pipeline.engines.base import (
    ChunkJob,
    ExtractionResult,
    model_usage,
    page_result,
    planned_budget,
)
from pipeline.engines.local_pages import page_index
from pipeline.engines.pdfium_pages import pdfium_page_result, read_by_pdfium
from pipeline.engines.resources import EngineResources
from pipeline.local.pdf_page import local_pdf_page
from pipeline.model.pages import extract_page_on_moe
from pipeline.model.run_budget import document_page_budget
from schemas.enums import ChunkKind, Tier

__all__ = ["MoePdfPageEngine"]


class MoePdfPageEngine:
    """page_content from the vision model, with the local engine as fallback."""

    tier = Tier.MOE
    kinds = frozenset({ChunkKind.PDF_PAGE})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        index = page_index(job)
        engine = resources.require_moe()
        if read_by_pdfium(job):  # MuPDF cannot open the file: PDFium's text or OCR, no model
            return pdfium_page_result(job, index, resources)
        with resources.pdfs.open(job.path) as document:
            budget = planned_budget(job)
            if budget is None:
                budget = document_page_budget(document, index, job.chunk)
            content, outcome = extract_page_on_moe(document, index, budget, engine)
            if content is None:
                content = local_pdf_page(document, index, job.chunk.has_text_layer, resources.ocr)
        return page_result(content, model_usage(outcome))
