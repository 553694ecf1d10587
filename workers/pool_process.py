"""The entry point of an embedded pool process: its setup and the task it runs.

Spawned children import this module first, so it imports nothing heavy at the top: the
initializer sets PyMuPDF up (keeping its layout analyser out) before the pipeline is imported,
then builds the process's worker context, which lives here for the life of the process.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.context import WorkerContext
    from workers.run_job import JobOutcome

__all__ = ["initialise", "run_job_here", "run_run_here"]

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


def run_run_here(run_id: str) -> "list[JobOutcome]":
    """Run a job run in this pool process, then what it gave back to the queue (a job that
    stopped it, alone; the jobs it did not reach, as the run again; a transient failure):
    bounded by attempts, and a stopped run shrinks by the job that stopped it. Returns each
    job's last outcome."""
    from workers.context import CollectingEnqueuer
    from workers.job_run import run_job_run
    from workers.owners import embedded_owner

    if _context is None or not isinstance(_context.enqueuer, CollectingEnqueuer):
        raise RuntimeError("the pool process was not initialised")
    enqueuer = _context.enqueuer
    last: dict[str, JobOutcome] = {}

    def keep(outcome: "JobOutcome") -> None:
        if outcome.state != "skipped" or outcome.job_id not in last:
            last[outcome.job_id] = outcome

    runs = [run_id]
    while runs or enqueuer.jobs:
        for each in runs:
            for outcome in run_job_run(_context, each, embedded_owner()):
                keep(outcome)
        runs = list(dict.fromkeys(queued for queued, _ in enqueuer.runs))
        enqueuer.runs.clear()
        jobs = list(dict.fromkeys(queued for queued, _ in enqueuer.jobs))
        enqueuer.jobs.clear()
        for job_id in jobs:
            keep(run_job_here(job_id))
    return list(last.values())
