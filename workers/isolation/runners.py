"""Where a worker runs chunks and plans documents: isolated children, or in-process."""

from collections.abc import Sequence
from typing import Protocol

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources
from schemas.settings import Settings
from workers.isolation.messages import DocumentPlan, PlanRequest, RunAnswers, RunRequest
from workers.isolation.pool import IsolationPool

__all__ = ["ChunkRunner", "InProcessRunner", "make_runner"]


class ChunkRunner(Protocol):
    """Runs the work that touches uploaded bytes."""

    def run_chunk(self, job: ChunkJob) -> ExtractionResult:
        """The job's extraction; failures raise `PipelineError`."""

    def run_chunks(self, jobs: Sequence[ChunkJob]) -> RunAnswers:
        """A job run's outcomes, job by job, failures as data (and where the run stopped)."""

    def plan_document(self, request: PlanRequest) -> DocumentPlan:
        """The document's media type and job plans; failures raise `ChunkingError`."""

    def limit_workers(self, count: int | None) -> None:
        """Run at most `count` requests at once (None: as many as callers); callers beyond
        it wait their turn."""

    def close(self) -> None:
        """Release what the runner holds."""


class InProcessRunner:
    """`GREENHOUSE_ISOLATION=off`: the work runs in the worker itself (no deadline but the
    lease heartbeat's, no memory limit)."""

    def __init__(self, resources: EngineResources, registry: EngineRegistry) -> None:
        self._resources = resources
        self._registry = registry

    def run_chunk(self, job: ChunkJob) -> ExtractionResult:
        from workers.isolation.work import run_chunk

        return run_chunk(RunRequest(job), self._resources, self._registry)

    def run_chunks(self, jobs: Sequence[ChunkJob]) -> RunAnswers:
        from workers.isolation.work import run_chunks

        return run_chunks(jobs, self._resources, self._registry)

    def plan_document(self, request: PlanRequest) -> DocumentPlan:
        from workers.isolation.work import plan_document

        return plan_document(request)

    def limit_workers(self, count: int | None) -> None:
        """Nothing to limit: each caller runs its own requests, in its own thread."""
        del count

    def close(self) -> None:
        """Nothing of its own: the resources belong to the worker context."""


def make_runner(
    settings: Settings, resources: EngineResources, registry: EngineRegistry | None = None
) -> ChunkRunner:
    """The runner `settings.isolation` names (in-process: with `registry`, else the default
    one). The pipeline's engines and chunker are imported only by the runner that runs them:
    a worker whose work is isolated leaves them to its zygote."""
    if settings.isolation == "off":
        if registry is None:
            from pipeline.engines.catalog import default_registry

            registry = default_registry()
        return InProcessRunner(resources, registry)
    return IsolationPool(settings)
