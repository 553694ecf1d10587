"""What becomes of a job after its engine ran once: the one decision `run_job` and job runs
share, then applied by each in its own transactions."""

from dataclasses import dataclass

from pipeline.engines.base import ExtractionResult
from pipeline.errors import PipelineError
from schemas.enums import ErrorCategory
from storage.ledger import ExtractionRecord, Usage
from workers.isolation.messages import IsolationError

__all__ = [
    "Complete",
    "Decision",
    "Fail",
    "Park",
    "Release",
    "decide",
    "extraction_record",
    "usage_of",
]


@dataclass(frozen=True)
class Complete:
    """Succeeded: store the extraction and count the document down."""

    result: ExtractionResult


@dataclass(frozen=True)
class Park:
    """The tier is not there: waiting until it answers (not counted down)."""

    error: PipelineError


@dataclass(frozen=True)
class Release:
    """Back to the queue with the error as a note, and sent again."""

    error: PipelineError


@dataclass(frozen=True)
class Fail:
    """Failed for good with the error's category; counts the document down."""

    error: PipelineError


Decision = Complete | Park | Release | Fail


def decide(outcome: ExtractionResult | PipelineError, attempts: int, max_attempts: int) -> Decision:
    """The job's next state from what its engine gave: `tier_unavailable` parks it, a
    transient error re-queues it, an isolated process's crash, deadline or memory limit
    (`IsolationError`) re-queues it while its attempts (`attempts` counts this one) are below
    `max_attempts`, anything else fails it."""
    if not isinstance(outcome, PipelineError):
        return Complete(outcome)
    if isinstance(outcome, IsolationError) and attempts < max_attempts:
        return Release(outcome)
    if outcome.category is ErrorCategory.TIER_UNAVAILABLE:
        return Park(outcome)
    if outcome.category is ErrorCategory.TRANSIENT:
        return Release(outcome)
    return Fail(outcome)


def extraction_record(result: ExtractionResult) -> ExtractionRecord:
    """The extraction row a successful job stores."""
    return ExtractionRecord(
        kind=result.kind, data=result.data, provenance=result.provenance, engine=result.engine
    )


def usage_of(result: ExtractionResult) -> Usage | None:
    """The model usage a successful job records, if a model was asked."""
    usage = result.usage
    if usage is None:
        return None
    return Usage(
        tokens_in=usage.tokens_in,
        tokens_out=usage.tokens_out,
        latency_ms=usage.latency_ms,
        model=usage.model,
        fell_back=usage.fell_back,
        model_calls=usage.record,
        budget=usage.budget,
    )
