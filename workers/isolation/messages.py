"""What crosses the pipe between a worker and its isolated child: requests, replies, errors.

Imports nothing that loads PyMuPDF: a child imports this before its process setup.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import PipelineError
from schemas.enums import ErrorCategory, MediaType
from schemas.plans import JobPlan

__all__ = [
    "READY",
    "ChunkingError",
    "DocumentPlan",
    "IsolationError",
    "JobRunRequest",
    "PlanRequest",
    "Reply",
    "RunAnswers",
    "RunRequest",
]

READY = "ready"
"""The child's first message: set up and waiting for requests."""


@dataclass(frozen=True)
class PlanRequest:
    """Sniff, chunk and plan one stored file.

    `routing` and `tiers` are `pipeline.planning.routing`'s `RoutingRequest` and
    `ConfiguredTiers` (typed loosely so this module does not import the planner)."""

    path: Path
    routing: Any
    budget: int | None
    tiers: Any
    expand_into: Path | None = None
    """Where a container's members are written (None: too deep to expand)."""
    limits: Any = None
    """The container's `pipeline.sources.expansion.ContainerLimits`."""
    name_hint: str = ""
    """The stored file's name (names a plain gzip's one member)."""
    converted_pdf: Path | None = None
    """Where an office file read as pages for the MoE tier keeps its PDF conversion (next to
    the blob; None: next to `path`, as `<name>.converted.pdf`)."""


@dataclass(frozen=True)
class RunRequest:
    """Run one chunk job (a `pipeline.engines.base.ChunkJob`)."""

    job: Any


@dataclass(frozen=True)
class JobRunRequest:
    """Run the chunk jobs of a job run in order (`pipeline.engines.base.ChunkJob`s); the child
    answers one `Reply` per job as each finishes, so a crash or a deadline is charged to the
    job it happened in."""

    jobs: list[Any]


@dataclass(frozen=True)
class RunAnswers:
    """What a job run gave: the outcome of each job answered, in order (an `ExtractionResult`
    or a `PipelineError`), and, when the run stopped early, the `IsolationError` of the job at
    index `len(outcomes)`; the jobs after it were not run."""

    outcomes: list[Any]
    stopped: "IsolationError | None" = None


@dataclass(frozen=True)
class DocumentPlan:
    """A chunked and planned document."""

    media_type: MediaType
    plans: list[JobPlan]
    container: bool = False
    members: list[Any] = field(default_factory=list)
    """A container's members in order: `pipeline.sources.expansion`'s `ExtractedMember`
    (written under `expand_into`) or `RefusedMember`."""


@dataclass(frozen=True)
class Reply:
    """A child's answer: a value, or an error as data. `limit_hit`: the child ran out of its
    address space and exits after this reply."""

    value: Any = None
    category: ErrorCategory | None = None
    message: str = ""
    media_type: MediaType = MediaType.UNKNOWN
    traceback: str | None = None
    limit_hit: bool = False


class ChunkingError(PipelineError):
    """A document could not be chunked; carries the media type sniffed before the failure."""

    def __init__(
        self, category: ErrorCategory, message: str, media_type: MediaType = MediaType.UNKNOWN
    ) -> None:
        super().__init__(category, message)
        self.media_type = media_type


class IsolationError(PipelineError):
    """The isolated child crashed, ran past its deadline or out of memory (`crashed`,
    `timeout`, `too_large`): an outcome of the process, retried within the job's attempts."""
