"""The engine interface: what an engine serves, what it gets, and what it returns.

An engine declares the chunk kinds and the tier it serves and whether it fills a requested
extraction schema; `extract` turns one chunk into an `ExtractionResult`. The registry
(`pipeline.engines.registry`) picks the engine for a job; adding a format or a model is one new
engine module plus one line in `pipeline.engines.catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.engines.resources import EngineResources
from pipeline.errors import InvalidChunkError
from schemas.budget import VisualBudget, is_visual_budget
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, Tier
from schemas.extractions import PageContent

if TYPE_CHECKING:  # the model tier (httpx, jsonschema) loads only where a model job runs
    from pipeline.model.attempts import VlmOutcome
    from pipeline.model.schema_request import SchemaRequest

__all__ = [
    "ChunkJob",
    "Engine",
    "ExtractionResult",
    "ModelUsage",
    "model_usage",
    "page_result",
    "planned_budget",
]


@dataclass(frozen=True)
class ChunkJob:
    """One chunk of a stored file to run on a tier (with its budget and schema, if any)."""

    path: Path
    chunk: ChunkDescriptor
    tier: Tier
    budget: int | None = None
    schema: SchemaRequest | None = None


@dataclass(frozen=True)
class ModelUsage:
    """What the model calls of one job cost and how they went."""

    model: str | None
    tokens_in: int
    tokens_out: int
    latency_ms: float
    fell_back: bool
    record: dict[str, Any]
    budget: int | None = None
    """The visual budget the first attempt ran at: the planned one, or the one the engine
    chose when the job had none (None for speech)."""


@dataclass(frozen=True)
class ExtractionResult:
    """What an engine produced for one chunk, ready to be stored."""

    kind: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    engine: str
    usage: ModelUsage | None = field(default=None)


class Engine(Protocol):
    """Turns one chunk of the kinds it serves, on its tier, into an extraction."""

    @property
    def tier(self) -> Tier:
        """The tier this engine runs on."""

    @property
    def kinds(self) -> frozenset[ChunkKind]:
        """The chunk kinds it serves."""

    @property
    def fills_schemas(self) -> bool:
        """True: it extracts into the job's requested schema (else into the content kinds)."""

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        """Run the chunk; failures raise a categorised PipelineError."""


def page_result(
    content: PageContent, usage: ModelUsage | None = None, extra: dict[str, Any] | None = None
) -> ExtractionResult:
    """The stored form of a page's or image's content (`extra` joins its provenance)."""
    dumped = content.model_dump(mode="json")
    return ExtractionResult(
        kind=content.kind,
        data=dumped["data"],
        provenance={**dumped["provenance"], **(extra or {})},
        engine=content.data.engine,
        usage=usage,
    )


def model_usage(outcome: VlmOutcome) -> ModelUsage:
    """Tokens, latency, model and every attempt of a model-tier job."""
    return ModelUsage(
        model=outcome.model,
        tokens_in=outcome.prompt_tokens,
        tokens_out=outcome.completion_tokens,
        latency_ms=round(outcome.latency_seconds * 1000, 1),
        fell_back=outcome.fell_back,
        record=outcome.to_record(),
        budget=outcome.attempts[0].budget if outcome.attempts else None,
    )


def planned_budget(job: ChunkJob) -> VisualBudget | None:
    """The visual token budget the job was planned with; None when it was planned without one
    (a reprocess moved it from the CPU tier), for the engine to choose when it runs
    (`pipeline.model.run_budget`). Any other value is not a budget: `invalid_chunk`."""
    if job.budget is not None and not is_visual_budget(job.budget):
        raise InvalidChunkError(f"invalid visual budget {job.budget!r}")
    return job.budget
