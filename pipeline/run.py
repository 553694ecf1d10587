"""Running one chunk through its engine: the single entry point workers call."""

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources

__all__ = ["process_chunk"]


def process_chunk(
    job: ChunkJob, resources: EngineResources, registry: EngineRegistry
) -> ExtractionResult:
    """Run `job` on the engine the registry names for its chunk kind and tier.

    Schemas only apply on the tier that fills them (the MoE tier); elsewhere the job gets the
    tier's content engine. Failures raise a categorised `PipelineError`."""
    engine = registry.engine_for(job.chunk.kind, job.tier, schema=job.schema is not None)
    return engine.extract(job, resources)
