"""Local tier, structured chunks (sections, slides, sheet ranges): the format's reader reads
the chunk from the file's own structure. No OCR, no model: these chunks are text already."""

from typing import Any

from pipeline.engines.base import ChunkJob, ExtractionResult, page_result
from pipeline.engines.resources import EngineResources
from pipeline.sources.sniff import sniff_file
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, Tier
from schemas.extractions import PageContent, Provenance
from schemas.media import STRUCTURED_KINDS

__all__ = ["LocalStructuredEngine", "structured_provenance"]


class LocalStructuredEngine:
    """page_content of a section, slide or sheet range, read by the format's reader."""

    tier = Tier.LOCAL
    kinds = STRUCTURED_KINDS
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        del resources  # readers need nothing the process shares
        # the readers' libraries (python-docx, openpyxl, ...) load with a format
        from pipeline.formats.registry import reader_for

        reader = reader_for(sniff_file(job.path))
        data = reader.read(job.path, job.chunk)
        provenance = Provenance(
            page_number=job.chunk.page_number or job.chunk.seq + 1,
            bbox=(0.0, 0.0, data.page.width, data.page.height),
            unit=data.page.unit,
        )
        content = PageContent(data=data, provenance=provenance)
        return page_result(content, None, structured_provenance(job.chunk))


def structured_provenance(chunk: ChunkDescriptor) -> dict[str, Any]:
    """Which part of the file the chunk is: its kind, the sheet or part, the row range."""
    located: dict[str, Any] = {"chunk_kind": chunk.kind.value}
    if chunk.part is not None:
        located["part"] = chunk.part
    if chunk.title is not None:
        located["title"] = chunk.title
    if chunk.row_start is not None:
        located["row_start"] = chunk.row_start
        located["row_end"] = chunk.row_end
    if chunk.kind is ChunkKind.SLIDE:
        located["slide"] = chunk.page_number
    return located
