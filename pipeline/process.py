"""Running one chunk through its engine: the single entry point workers call."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from pipeline.pdf_source import cached_pdf
from pipeline.text_engine import extract_native_page
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier


@dataclass(frozen=True)
class ExtractionResult:
    """What an engine produced for one chunk, ready to be stored."""

    kind: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    engine: str


def process_chunk(path: Path, chunk: ChunkDescriptor, tier: Tier) -> ExtractionResult:
    """Run the engine for `chunk` of the file at `path` on `tier`."""
    if tier is not Tier.LOCAL:
        raise PipelineError(
            ErrorCategory.TIER_UNAVAILABLE, f"tier {tier.value!r} has no engine in this version"
        )
    if chunk.kind is ChunkKind.PDF_PAGE:
        if chunk.page_number is None:
            raise PipelineError(ErrorCategory.INTERNAL, "a PDF page chunk has no page number")
        content = extract_native_page(cached_pdf(path), chunk.page_number - 1)
        dumped = content.model_dump(mode="json")
        return ExtractionResult(
            kind=content.kind,
            data=dumped["data"],
            provenance=dumped["provenance"],
            engine=content.data.engine,
        )
    raise PipelineError(
        ErrorCategory.UNSUPPORTED_MEDIA, f"chunks of kind {chunk.kind.value!r} are not supported"
    )
