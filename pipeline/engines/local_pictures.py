"""Local tier, images and video frames: RapidOCR on the decoded picture."""

from pipeline.engines.base import ChunkJob, ExtractionResult, page_result
from pipeline.engines.resources import EngineResources
from pipeline.engines.visual_inputs import decode_picture, frame_provenance
from pipeline.local.ocr import image_page_content
from schemas.enums import ChunkKind, Tier

__all__ = ["LocalPictureEngine"]


class LocalPictureEngine:
    """OCR of document images and keyframes (boxes in pixels). Never touches MuPDF."""

    tier = Tier.LOCAL
    kinds = frozenset({ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        content = image_page_content(
            resources.ocr, decode_picture(job), page_number=job.chunk.seq + 1
        )
        return page_result(content, None, frame_provenance(job))
