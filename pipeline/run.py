"""Running one chunk through its engine: the single entry point workers call."""

from dataclasses import replace

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources

__all__ = ["process_chunk"]


def process_chunk(
    job: ChunkJob, resources: EngineResources, registry: EngineRegistry
) -> ExtractionResult:
    """Run `job` on the engine the registry names for its chunk kind and tier.

    Schemas only apply on the tier that fills them (the MoE tier); elsewhere the job gets the
    tier's content engine. Failures raise a categorised `PipelineError`. How the chunk came to
    be read this way joins the provenance: `converted_by` for a page of an office file's PDF
    conversion, `note` when the request asked otherwise."""
    engine = registry.engine_for(job.chunk.kind, job.tier, schema=job.schema is not None)
    result = engine.extract(job, resources)
    chunk = job.chunk
    traced = {
        key: value
        for key, value in (("converted_by", chunk.converted_by), ("note", chunk.note))
        if value is not None
    }
    if not traced:
        return result
    return replace(result, provenance={**result.provenance, **traced})
