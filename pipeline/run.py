"""Running one chunk through its engine: the single entry point workers call."""

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from pipeline.engines.speech import edge_transcript, local_transcript, speech_provenance
from pipeline.errors import PipelineError
from pipeline.local.ocr import image_page_content
from pipeline.local.pdf_page import OCR_SETTINGS, local_pdf_page
from pipeline.model.attempts import VlmEngine, VlmOutcome
from pipeline.model.pages import extract_image_on_moe, extract_page_on_moe
from pipeline.model.render import RenderedImage, render_image, render_pdf_page
from pipeline.model.schema_fields import (
    SCHEMA_EXTRACTION,
    SchemaRequest,
    extract_fields,
    schema_extraction_data,
)
from pipeline.sources.images import open_image
from pipeline.sources.mupdf_lock import MUPDF_LOCK
from pipeline.sources.pdf import cached_pdf
from pipeline.sources.video import extract_frame
from schemas.budget import VisualBudget, is_visual_budget
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier
from schemas.extractions import PageContent
from schemas.transcript import TRANSCRIPT


@dataclass(frozen=True)
class ModelEngines:
    """The model-tier engines this process has (None: the tier is not configured here)."""

    moe: VlmEngine | None = None
    edge: VlmEngine | None = None


@dataclass(frozen=True)
class ModelUsage:
    """What the model calls of one job cost and how they went."""

    model: str | None
    tokens_in: int
    tokens_out: int
    latency_ms: float
    fell_back: bool
    record: dict[str, Any]


@dataclass(frozen=True)
class ExtractionResult:
    """What an engine produced for one chunk, ready to be stored."""

    kind: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    engine: str
    usage: ModelUsage | None = field(default=None)


def process_chunk(
    path: Path,
    chunk: ChunkDescriptor,
    tier: Tier,
    budget: int | None = None,
    engines: ModelEngines | None = None,
    schema: SchemaRequest | None = None,
) -> ExtractionResult:
    """Run the engine for `chunk` of the file at `path` on `tier`.

    With a `schema`, visual chunks on the MoE tier are extracted into it instead of into
    page_content. Local engines (PyMuPDF, RapidOCR) hold MUPDF_LOCK: threaded workers share
    one process.
    """
    engines = engines or ModelEngines()
    if schema is not None and tier is Tier.MOE and chunk.kind is not ChunkKind.SPEECH_SEGMENT:
        return _schema_fields(path, chunk, _budget(budget), _moe(engines), schema)
    if chunk.kind is ChunkKind.PDF_PAGE:
        return _pdf_page(path, chunk, tier, budget, engines)
    if chunk.kind is ChunkKind.IMAGE:
        return _visual(path, chunk, tier, budget, engines, open_image(path, frame=chunk.seq))
    if chunk.kind is ChunkKind.VIDEO_FRAME:
        return _visual(path, chunk, tier, budget, engines, _frame(path, chunk))
    return _speech(path, chunk, tier, engines)


def _pdf_page(
    path: Path, chunk: ChunkDescriptor, tier: Tier, budget: int | None, engines: ModelEngines
) -> ExtractionResult:
    if chunk.page_number is None:
        raise PipelineError(ErrorCategory.INTERNAL, "a PDF page chunk has no page number")
    page_index = chunk.page_number - 1
    with MUPDF_LOCK:
        document = cached_pdf(path)
    if tier is Tier.MOE:
        engine = _moe(engines)
        content, outcome = extract_page_on_moe(document, page_index, _budget(budget), engine)
        if content is not None:
            return _result(content, _usage(outcome))
        with MUPDF_LOCK:
            fallback = local_pdf_page(document, page_index, chunk.has_text_layer)
        return _result(fallback, _usage(outcome))
    _require_local(tier, chunk)
    with MUPDF_LOCK:
        return _result(local_pdf_page(document, page_index, chunk.has_text_layer))


def _visual(
    path: Path,
    chunk: ChunkDescriptor,
    tier: Tier,
    budget: int | None,
    engines: ModelEngines,
    image: Image.Image,
) -> ExtractionResult:
    extra = {} if chunk.start_seconds is None else {"timestamp": chunk.start_seconds}
    if tier is Tier.MOE:
        engine = _moe(engines)
        content, outcome = extract_image_on_moe(image, chunk.seq + 1, _budget(budget), engine)
        if content is None:
            with MUPDF_LOCK:
                content = image_page_content(
                    image, page_number=chunk.seq + 1, settings=OCR_SETTINGS
                )
        return _result(content, _usage(outcome), extra)
    _require_local(tier, chunk)
    with MUPDF_LOCK:
        return _result(
            image_page_content(image, page_number=chunk.seq + 1, settings=OCR_SETTINGS), None, extra
        )


def _schema_fields(
    path: Path,
    chunk: ChunkDescriptor,
    budget: VisualBudget,
    engine: VlmEngine,
    schema: SchemaRequest,
) -> ExtractionResult:
    text = ""
    provenance: dict[str, Any] = {"page_number": chunk.seq + 1}
    if chunk.kind is ChunkKind.PDF_PAGE:
        with MUPDF_LOCK:
            page = cached_pdf(path).load_page(chunk.seq)
            if chunk.has_text_layer:
                text = page.get_text("text").strip()

        def render(step: VisualBudget) -> RenderedImage:
            with MUPDF_LOCK:
                return render_pdf_page(page, step)
    else:
        image = (
            _frame(path, chunk)
            if chunk.kind is ChunkKind.VIDEO_FRAME
            else (open_image(path, frame=chunk.seq))
        )
        if chunk.start_seconds is not None:
            provenance["timestamp"] = chunk.start_seconds

        def render(step: VisualBudget) -> RenderedImage:
            return render_image(image, step)

    outcome = extract_fields(schema, budget, render, engine)
    return ExtractionResult(
        kind=SCHEMA_EXTRACTION,
        data=schema_extraction_data(schema, outcome, text),
        provenance=provenance,
        engine=f"vllm:{outcome.model}",
        usage=_usage(outcome),
    )


def _frame(path: Path, chunk: ChunkDescriptor) -> Image.Image:
    if chunk.start_seconds is None:
        raise PipelineError(ErrorCategory.INTERNAL, "a video frame chunk has no timestamp")
    png = extract_frame(path, chunk.start_seconds)
    with Image.open(io.BytesIO(png)) as frame:
        return frame.convert("RGB")


def _speech(
    path: Path, chunk: ChunkDescriptor, tier: Tier, engines: ModelEngines
) -> ExtractionResult:
    usage = None
    transcript = None
    if tier is Tier.EDGE:
        if engines.edge is None:
            raise PipelineError(
                ErrorCategory.TIER_UNAVAILABLE, "the edge tier is not configured in this worker"
            )
        transcript, outcome = edge_transcript(path, chunk, engines.edge)
        usage = _usage(outcome)
    elif tier is not Tier.LOCAL:
        _require_local(tier, chunk)
    if transcript is None:
        transcript = local_transcript(path, chunk)
    return ExtractionResult(
        kind=TRANSCRIPT,
        data=transcript.model_dump(mode="json"),
        provenance=speech_provenance(chunk),
        engine=transcript.engine,
        usage=usage,
    )


def _moe(engines: ModelEngines) -> VlmEngine:
    if engines.moe is None:
        raise PipelineError(
            ErrorCategory.TIER_UNAVAILABLE, "the MoE tier is not configured in this worker"
        )
    return engines.moe


def _budget(budget: int | None) -> VisualBudget:
    if budget is None or not is_visual_budget(budget):
        raise PipelineError(ErrorCategory.INTERNAL, f"invalid visual budget {budget!r}")
    return budget


def _require_local(tier: Tier, chunk: ChunkDescriptor) -> None:
    if tier is not Tier.LOCAL:
        raise PipelineError(
            ErrorCategory.INVALID_OPTIONS,
            f"tier {tier.value!r} cannot process {chunk.kind.value} chunks",
        )


def _result(
    content: PageContent, usage: ModelUsage | None = None, extra: dict[str, Any] | None = None
) -> ExtractionResult:
    dumped = content.model_dump(mode="json")
    return ExtractionResult(
        kind=content.kind,
        data=dumped["data"],
        provenance={**dumped["provenance"], **(extra or {})},
        engine=content.data.engine,
        usage=usage,
    )


def _usage(outcome: VlmOutcome) -> ModelUsage:
    return ModelUsage(
        model=outcome.model,
        tokens_in=outcome.prompt_tokens,
        tokens_out=outcome.completion_tokens,
        latency_ms=round(outcome.latency_seconds * 1000, 1),
        fell_back=outcome.fell_back,
        record=outcome.to_record(),
    )
