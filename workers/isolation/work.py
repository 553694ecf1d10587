"""The work an isolated child (or, with isolation off, the worker itself) does with bytes."""

from pipeline.chunking.documents import chunk_file
from pipeline.engines.base import ExtractionResult
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources
from pipeline.errors import PipelineError
from pipeline.planning.jobs import plan_jobs
from pipeline.run import process_chunk
from pipeline.sources.sniff import sniff_file
from schemas.enums import MediaType
from workers.isolation.messages import ChunkingError, DocumentPlan, PlanRequest, RunRequest

__all__ = ["plan_document", "run_chunk"]


def plan_document(request: PlanRequest) -> DocumentPlan:
    """Sniff, chunk and plan a stored file; failures raise `ChunkingError` with the media
    type sniffed so far."""
    media_type = MediaType.UNKNOWN
    try:
        media_type = sniff_file(request.path)
        chunks = chunk_file(request.path, media_type)
        plans = list(plan_jobs(chunks, request.routing, request.budget, request.tiers))
    except PipelineError as error:
        raise ChunkingError(error.category, error.message, media_type) from error
    return DocumentPlan(media_type, plans)


def run_chunk(
    request: RunRequest, resources: EngineResources, registry: EngineRegistry
) -> ExtractionResult:
    """Run one chunk job on its engine."""
    return process_chunk(request.job, resources, registry)
