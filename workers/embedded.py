"""The embedded executor: the same task bodies, in-process, across every core, no broker.

Whatever happens to one document or job is recorded on it and the drain goes on with the next.
"""

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from storage.database import transaction
from storage.ledger import jobs_in_runs, queued_among, reap_expired_leases
from workers import chunk_document as chunk_step
from workers import job_run as job_run_step
from workers import pool_parent, pool_process
from workers import run_job as run_step
from workers.context import CollectingEnqueuer, WorkerContext
from workers.embedded_pool import pool_size, run_in_threads
from workers.finalize_document import finalize_document
from workers.owners import embedded_owner
from workers.takeover import take_over_dead_embedded_runs
from workers.webhooks import deliver_now

logger = logging.getLogger(__name__)


class DrainProgress(Protocol):
    """Told how a drain advances: documents chunked, then jobs finished, each of a total."""

    def documents(self, done: int, total: int) -> None:
        """`done` of the `total` documents known to this drain are chunked (or failed)."""

    def jobs(self, done: int, total: int) -> None:
        """`done` of the `total` jobs run by this drain are finished."""


class _Silent:
    def documents(self, done: int, total: int) -> None:
        del done, total

    def jobs(self, done: int, total: int) -> None:
        del done, total


class EmbeddedExecutor:
    """Chunks documents and runs their jobs across the cores: threads of this process each
    driving an isolated child, or (isolation off) spawned pool processes for the jobs."""

    def __init__(self, context: WorkerContext, processes: int | None = None) -> None:
        if not isinstance(context.enqueuer, CollectingEnqueuer):
            raise TypeError("the embedded executor needs a CollectingEnqueuer")
        self._context = context
        self._queue = context.enqueuer
        self._processes = max(1, processes or os.cpu_count() or 1)

    def drain(self, progress: DrainProgress | None = None) -> None:
        """Run every enqueued document and job to completion (re-running orphans of crashes),
        after taking over the work of dead embedded runs on this host; then one pass of the
        webhook deliveries due (the drain's events among them)."""
        progress = progress or _Silent()
        take_over_dead_embedded_runs(self._context)
        seen: set[str] = set()
        chunked: set[str] = set()
        done = 0

        def chunk_finished(document_id: str) -> None:
            if document_id not in self._queue.documents:  # not given back for a retry
                chunked.add(document_id)
            progress.documents(len(chunked), len(seen | set(self._queue.documents)))

        while self._queue.documents or self._queue.jobs or self._queue.runs:
            while self._queue.documents:
                # A document queued twice runs once, where its later entry stands.
                batch = list(reversed(dict.fromkeys(reversed(self._queue.documents))))
                self._queue.documents.clear()
                seen.update(batch)
                self._chunk_all(batch, chunk_finished)
            jobs = list(dict.fromkeys(job_id for job_id, _ in self._queue.jobs))
            self._queue.jobs.clear()
            runs = list(dict.fromkeys(run_id for run_id, _ in self._queue.runs))
            self._queue.runs.clear()
            done = self._run_jobs(jobs, runs, done, progress)
        deliver_now(self._context.settings, self._context.sessions)

    def _chunk_all(self, document_ids: list[str], finished: Callable[[str], None]) -> None:
        """Chunk the documents, when the work is isolated on one thread more than processes
        (a thread drives a child while it has one, as job threads do; the spare thread records
        a document while the children chunk the next); `finished` is called from this thread
        as each one ends."""
        if len(document_ids) < 2 or self._context.settings.isolation == "off":
            for document_id in document_ids:
                self._chunk(document_id)
                finished(document_id)
            return
        children = min(self._processes, len(document_ids))
        threads = min(children + 1, len(document_ids))
        self._context.isolation.limit_workers(children)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="embedded-chunk") as pool:
            futures = {
                pool.submit(self._chunk, document_id): document_id for document_id in document_ids
            }
            for future in as_completed(futures):
                future.result()  # _chunk records failures on the document; it does not raise
                finished(futures[future])

    def _chunk(self, document_id: str) -> None:
        """Chunk one document; an exception is recorded on the document, never raised."""
        owner = embedded_owner()
        try:
            chunk_step.chunk_document(self._context, document_id, owner)
        except Exception as exc:
            logger.exception("document %s could not be chunked", document_id)
            try:
                chunk_step.record_chunking_crash(self._context, document_id, owner, exc)
            except Exception:
                logger.exception("the failure of document %s could not be recorded", document_id)

    def _run_jobs(
        self, job_ids: list[str], run_ids: list[str], done: int, progress: DrainProgress
    ) -> int:
        """Run the jobs and job runs (each a unit of the pool); returns the jobs done so far."""
        if not job_ids and not run_ids:
            return done
        total = done + len(job_ids) + len(self._queued_in_runs(run_ids))
        isolated = self._context.settings.isolation != "off"
        workers = pool_size(total - done, self._processes, isolated=isolated)
        if run_ids and len(job_ids) + len(run_ids) < workers:
            # Fewer units than workers: the runs' jobs go alone, so every worker has work.
            job_ids = job_ids + self._queued_in_runs(run_ids)
            run_ids = []
        units = len(job_ids) + len(run_ids)
        if isolated and units > 1:
            # Threads of this process, each driving a child forked by its zygote while it has
            # one: a thread more than children, so one records its job while they work.
            finished = done

            def count(jobs: int) -> None:
                nonlocal finished
                finished += jobs
                progress.jobs(finished, total)

            self._context.isolation.limit_workers(workers)
            run_in_threads(self._context, job_ids, run_ids, min(workers + 1, units), count)
            return finished
        if workers == 1 or units == 1:
            for run_id in run_ids:
                try:
                    outcomes = job_run_step.run_job_run(self._context, run_id, embedded_owner())
                except Exception:
                    # As for a job below: the run's jobs keep their state for a later run.
                    logger.exception("job run %s could not be run", run_id)
                    outcomes = []
                done += len(outcomes)
                progress.jobs(done, total)
            for job_id in job_ids:
                try:
                    run_step.run_job(self._context, job_id, embedded_owner())
                except Exception:
                    # Not a job failure (run_job stores those) but e.g. the database going
                    # away: the job keeps its state and a later run picks it up.
                    logger.exception("job %s could not be run", job_id)
                done += 1
                progress.jobs(done, total)
            return done
        orphans: list[str] = []
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(workers, len(job_ids) + len(run_ids)),
            mp_context=spawn,
            initializer=pool_parent.initialise,
            initargs=(os.getpid(), self._context.settings.model_dump_json()),
        ) as pool:
            # Each future gives a JobOutcome (a job) or a list of them (a job run).
            futures: dict[Future[Any], str] = {
                pool.submit(pool_process.run_job_here, job_id): job_id for job_id in job_ids
            }
            for run_id in run_ids:
                futures[pool.submit(pool_process.run_run_here, run_id)] = run_id
            for future in as_completed(futures):
                unit = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    orphans.append(unit)
                    continue
                except Exception:
                    # Not a job failure (those are stored by run_job) but e.g. the database
                    # going away: the job keeps its state and a later run picks it up.
                    logger.exception("job %s could not be run", unit)
                    result = None
                done += len(result) if isinstance(result, list) else 1
                progress.jobs(done, total)
        if orphans:
            self._requeue_orphans(orphans)
        return done

    def _queued_in_runs(self, run_ids: list[str]) -> list[str]:
        """The queued jobs of the runs: what they will claim."""
        if not run_ids:
            return []
        with transaction(self._context.sessions) as session:
            return [job_id for job_id, _ in queued_among(session, jobs_in_runs(session, run_ids))]

    def _requeue_orphans(self, units: list[str]) -> None:
        """A pool process died (a crash in native code): retry its jobs (those of its job runs
        each alone), within attempts."""
        with transaction(self._context.sessions) as session:
            job_ids = [*units, *jobs_in_runs(session, units)]
        logger.warning("a worker process crashed; re-queueing %d unfinished jobs", len(job_ids))
        with transaction(self._context.sessions) as session:
            reaped = reap_expired_leases(
                session, self._context.settings.max_attempts, orphaned_job_ids=job_ids
            )
            requeue = queued_among(session, job_ids)
        for document_id in reaped.finished_documents:
            finalize_document(self._context, document_id)
        self._queue.enqueue_jobs(requeue)
