"""Choosing the tier of a job: a pure function of the chunk and the request."""

from pipeline.errors import PipelineError
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, Tier


def choose_tier(chunk: ChunkDescriptor, requested_tier: str | None) -> Tier:
    """The request's tier when given, else the embedded `local` tier.

    A requested model tier is kept even when no server is configured: the job is then parked
    as waiting by the worker, never silently downgraded.
    """
    del chunk  # Per-chunk routing (scans to the MoE tier) arrives with the model tiers.
    if requested_tier is None:
        return Tier.LOCAL
    try:
        return Tier(requested_tier)
    except ValueError as exc:
        raise PipelineError(
            ErrorCategory.INVALID_OPTIONS, f"unknown tier {requested_tier!r}"
        ) from exc
