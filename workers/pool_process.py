"""The entry point of an embedded pool process: its setup and the task it runs.

Spawned children import this module first, so it imports nothing heavy at the top: the
initializer sets PyMuPDF up (keeping its layout analyser out) before the pipeline is imported,
then builds the process's worker context, which lives here for the life of the process.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.context import WorkerContext
    from workers.run_job import JobOutcome

__all__ = ["initialise", "run_job_here"]

_context: "WorkerContext | None" = None


def initialise(settings_json: str) -> None:
    """Pool initializer: process setup, then this process's worker context."""
    global _context
    from pipeline.sources.mupdf import prepare_mupdf

    prepare_mupdf()
    from schemas.settings import Settings
    from workers.context import CollectingEnqueuer, build_context

    _context = build_context(Settings.model_validate_json(settings_json), CollectingEnqueuer())


def run_job_here(job_id: str) -> "JobOutcome":
    """Run one job in this pool process, again while it re-queues itself (a transient error,
    or its isolated process crashed or overran: bounded by its attempts)."""
    from workers.context import CollectingEnqueuer
    from workers.owners import embedded_owner
    from workers.run_job import run_job

    if _context is None or not isinstance(_context.enqueuer, CollectingEnqueuer):
        raise RuntimeError("the pool process was not initialised")
    requeued = _context.enqueuer.jobs
    while True:
        outcome = run_job(_context, job_id, embedded_owner())
        again = [entry for entry in requeued if entry[0] == job_id]
        requeued[:] = [entry for entry in requeued if entry[0] != job_id]
        if outcome.state != "queued" or not again:
            return outcome
