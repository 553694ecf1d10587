"""MoE tier, images and video frames: Gemma 4 reads the picture at its budget; OCR takes over
when every attempt failed (recorded as `fell_back`)."""

from pipeline.engines.base import (
    ChunkJob,
    ExtractionResult,
    model_usage,
    page_result,
    planned_budget,
)
from pipeline.engines.resources import EngineResources
from pipeline.engines.visual_inputs import decode_picture, frame_provenance
from pipeline.local.ocr import image_page_content
from pipeline.model.pages import extract_image_on_moe
from pipeline.model.run_budget import picture_budget
from schemas.enums import ChunkKind, Tier

__all__ = ["MoePictureEngine"]


class MoePictureEngine:
    """page_content of a picture from the vision model, with OCR as fallback."""

    tier = Tier.MOE
    kinds = frozenset({ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        engine = resources.require_moe()
        image = decode_picture(job)
        page_number = job.chunk.seq + 1
        budget = planned_budget(job)
        if budget is None:
            budget = picture_budget(job.chunk, image)
        content, outcome = extract_image_on_moe(image, page_number, budget, engine)
        if content is None:
            content = image_page_content(resources.ocr, image, page_number=page_number)
        return page_result(content, model_usage(outcome), frame_provenance(job))
