"""How many workers an embedded drain starts, and its threads when the work is isolated.

With isolation on (the default) the page work of every job runs in an isolated child, so the
embedded run needs no pool processes to use its cores: each worker is a child, a fork of the
run's zygote (ready in ~10 ms, against ~1.4 s of CPU for a spawned pool process: 0.8 s to
import the worker and 0.65 s for a zygote of its own; `bench/corpus_throughput.py`), driven
by a thread of the run, with one thread more than children so that one records its result
while the children work. The ledger calls of all threads share the run's database engine and
heartbeat, as the threads of a Celery `threads` worker do. With isolation off, the work runs
in the worker itself and only processes spread it: those are spawned as before, and cost
enough that a small batch runs in the run's own process.
"""

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed

from workers import job_run as job_run_step
from workers import run_job as run_step
from workers.context import WorkerContext
from workers.owners import embedded_owner

__all__ = ["PAGES_PER_PROCESS", "PAGES_PER_THREAD", "pool_size", "run_in_threads"]

logger = logging.getLogger(__name__)

PAGES_PER_THREAD = 8
"""Jobs an isolated child must have before it is started. Its cost is a forked child (~10 ms)
plus the document-level reads its child repeats for a document it did not chunk (the font
sample: up to 24 text pages, ~35 ms): about 50 ms, one to five pages at the 10-55 ms a text
page costs (generated pages; the corpus's mean); on two cores the second worker halves the
rest, so it pays from about ten pages on. A second worker starts at 16 jobs."""

PAGES_PER_PROCESS = 128
"""Jobs a spawned pool process (isolation off) must have: it imports the worker (~0.8 s of CPU)
before its first job, so on two cores it pays past 30 pages of the corpus's mean (55 ms) and
160 simple generated ones (10 ms); a second process starts at 256 jobs."""


def pool_size(jobs: int, processes: int, *, isolated: bool) -> int:
    """The workers for `jobs` jobs with at most `processes`: isolated, the children at work at
    once (driven by one thread more); otherwise the spawned pool processes, 1 meaning none
    (the jobs run one after the other in this process)."""
    per_worker = PAGES_PER_THREAD if isolated else PAGES_PER_PROCESS
    return max(1, min(processes, jobs // per_worker))


def run_in_threads(
    context: WorkerContext,
    job_ids: list[str],
    run_ids: list[str],
    workers: int,
    progress: Callable[[int], None],
) -> None:
    """Run the jobs and job runs on `workers` threads of this process; `progress` is told how
    many jobs each finished unit held. A unit that raises (not a job failure, which the task
    bodies store, but e.g. the database going away) is logged and its jobs keep their state
    for a later run. Work a unit gives back to the queue lands in the context's enqueuer."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="embedded") as pool:
        futures: dict[Future[int], tuple[str, int]] = {
            pool.submit(_one_job, context, job_id): (job_id, 1) for job_id in job_ids
        }
        for run_id in run_ids:
            futures[pool.submit(_one_run, context, run_id)] = (run_id, 0)
        for future in as_completed(futures):
            unit, counted_when_raised = futures[future]
            try:
                finished = future.result()
            except Exception:
                logger.exception("job or job run %s could not be run", unit)
                finished = counted_when_raised  # as the drain counts a unit run in-process
            progress(finished)


def _one_job(context: WorkerContext, job_id: str) -> int:
    run_step.run_job(context, job_id, embedded_owner())
    return 1


def _one_run(context: WorkerContext, run_id: str) -> int:
    return len(job_run_step.run_job_run(context, run_id, embedded_owner()))
