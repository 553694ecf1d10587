"""The work an isolated child (or, with isolation off, the worker itself) does with bytes."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress

from pipeline.chunking.converted import chunk_converted
from pipeline.chunking.documents import chunk_file
from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources
from pipeline.errors import PipelineError
from pipeline.planning.jobs import plan_jobs
from pipeline.planning.office_pages import choose_office_reading
from pipeline.planning.routing import may_reach_model_tier
from pipeline.run import process_chunk
from pipeline.sources.sniff import sniff_file
from pipeline.sources.soffice import soffice_installed
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.media import CONTAINER_MEDIA
from workers.isolation.container_work import plan_container
from workers.isolation.messages import (
    ChunkingError,
    DocumentPlan,
    PlanRequest,
    RunAnswers,
    RunRequest,
)

__all__ = ["pinned_document", "plan_document", "run_chunk", "run_chunks"]

logger = logging.getLogger(__name__)


def plan_document(request: PlanRequest) -> DocumentPlan:
    """Sniff, chunk and plan a stored file; failures raise `ChunkingError` with the media
    type sniffed so far."""
    media_type = MediaType.UNKNOWN
    try:
        media_type = sniff_file(request.path)
        if media_type in CONTAINER_MEDIA:
            return plan_container(request, media_type)
        chunks = _document_chunks(request, media_type)
        plans = list(plan_jobs(chunks, request.routing, request.budget, request.tiers))
    except PipelineError as error:
        raise ChunkingError(error.category, error.message, media_type) from error
    return DocumentPlan(media_type, plans)


def _document_chunks(request: PlanRequest, media_type: MediaType) -> Iterator[ChunkDescriptor]:
    """The file's chunks: an office file asked on the MoE tier as the pages of its PDF
    conversion when LibreOffice is installed, else by its structure (with the reason noted)."""
    reading = choose_office_reading(media_type, request.routing.tier, soffice_installed())
    if reading.rendered:
        target = request.converted_pdf or request.path.with_name(
            f"{request.path.name}.converted.pdf"
        )
        return chunk_converted(request.path, media_type, target)
    legibility = may_reach_model_tier(request.routing, request.tiers)
    chunks = chunk_file(request.path, media_type, legibility=legibility)
    if reading.note is None:
        return chunks
    return (chunk.model_copy(update={"note": reading.note}) for chunk in chunks)


def run_chunk(
    request: RunRequest, resources: EngineResources, registry: EngineRegistry
) -> ExtractionResult:
    """Run one chunk job on its engine."""
    return process_chunk(request.job, resources, registry)


def run_chunks(
    jobs: Sequence[ChunkJob], resources: EngineResources, registry: EngineRegistry
) -> RunAnswers:
    """Run a job run's chunks in order in this process, each failure as data: a broken page
    fails alone and the others go on."""
    outcomes: list[ExtractionResult | PipelineError] = []
    with pinned_document(jobs, resources):
        for job in jobs:
            try:
                outcomes.append(run_chunk(RunRequest(job), resources, registry))
            except PipelineError as error:
                outcomes.append(error)
            except Exception as exc:
                logger.exception("the job of chunk %d raised", job.chunk.seq)
                unexpected = f"unexpected {type(exc).__name__}: {exc}"
                outcomes.append(PipelineError(ErrorCategory.INTERNAL, unexpected))
    return RunAnswers(outcomes)


@contextmanager
def pinned_document(jobs: Sequence[ChunkJob], resources: EngineResources) -> Iterator[None]:
    """Keep the run's PDF open across its pages (opened once, not evicted between them). A
    file MuPDF cannot open is left to each page's own engine, which fails or falls back."""
    with ExitStack() as pins:
        paths = {job.path for job in jobs}
        mupdf_pages = all(
            job.chunk.kind is ChunkKind.PDF_PAGE and job.chunk.parser is None for job in jobs
        )
        if jobs and len(paths) == 1 and mupdf_pages:
            # Not swallowed: each page meets the same error (or PDFium) in its own engine, a
            # missing file included, and fails alone with it.
            with suppress(PipelineError, OSError):
                pins.enter_context(resources.pdfs.open(jobs[0].path))
        yield
