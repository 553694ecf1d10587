"""Body of the run_job_run task: a job run's queued jobs claimed in one statement, run in one
request to an isolated child (job by job, each answered as data), settled in one transaction.

Every job keeps its own decision (`workers.job_decisions.decide`, the one `run_job` makes).
When the child dies, overruns or runs out of memory in the middle of a run, the job it was
running is charged the attempt and taken out of the run (so it runs alone next time); the jobs
not reached are given back to the queue without being charged and sent again as one run.
"""

import logging
from dataclasses import dataclass

from pipeline.engines.base import ChunkJob
from pipeline.errors import PipelineError
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, Tier
from storage.database import transaction
from storage.documents import get_document
from storage.ledger import (
    Completion,
    Failure,
    SettledJobs,
    claim_run,
    leave_run,
    park_job,
    queue_of_job,
    release_job,
    release_jobs,
    settle_jobs,
)
from workers.blob_files import job_file
from workers.context import WorkerContext
from workers.finalize_document import finalize_document
from workers.isolation.messages import IsolationError, RunAnswers
from workers.job_decisions import (
    Complete,
    Decision,
    Fail,
    Park,
    Release,
    decide,
    extraction_record,
    usage_of,
)
from workers.run_job import JobOutcome

__all__ = ["run_job_run"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Claimed:
    job_id: str
    seq: int
    attempts: int
    queue: str
    spec: ChunkJob


def run_job_run(
    context: WorkerContext,
    run_id: str,
    owner: str,
    timeout_errors: tuple[type[BaseException], ...] = (),
) -> list[JobOutcome]:
    """Run the claimable jobs of a run to their next states; [] when none was claimable."""
    settings = context.settings
    with transaction(context.sessions) as session:
        jobs = claim_run(session, run_id, owner, settings.lease_seconds)
        if not jobs:
            return []
        document = get_document(session, jobs[0].document_id)
        assert document is not None
        sha256 = document.sha256
        claimed = [
            _Claimed(
                job_id=job.id,
                seq=job.seq,
                attempts=job.attempts,
                queue=job.queue,
                spec=ChunkJob(
                    path=job_file(context.blobs, sha256, chunk),
                    chunk=chunk,
                    tier=Tier(job.tier),
                    budget=job.budget,
                ),
            )
            for job in jobs
            for chunk in [ChunkDescriptor.model_validate(job.chunk)]
        ]
    job_ids = [each.job_id for each in claimed]
    deadline = settings.job_deadline_seconds * len(claimed)
    with context.heartbeat.hold_many(job_ids, owner, max_seconds=deadline):
        answers = _run(context, claimed, timeout_errors)
    if answers is None:
        return [JobOutcome(job_id, "deleted") for job_id in job_ids]
    return _settle(context, run_id, owner, claimed, answers)


def _run(
    context: WorkerContext,
    claimed: list[_Claimed],
    timeout_errors: tuple[type[BaseException], ...],
) -> RunAnswers | None:
    """The run's answers; None when its document was deleted meanwhile. What stops the run
    outside the child (the task's time limit, an exception in this process) is given to every
    job, as `run_job` gives it to its one job: which job it belongs to is not known."""
    try:
        return context.isolation.run_chunks([each.spec for each in claimed])
    except timeout_errors as exc:
        timeout = IsolationError(ErrorCategory.TIMEOUT, f"the job run ran out of time: {exc!r}")
        return RunAnswers([timeout] * len(claimed))
    except Exception as exc:
        if _deleted(context, claimed[0].job_id):
            return None
        logger.exception("job run of %d jobs raised", len(claimed))
        unexpected = PipelineError(
            ErrorCategory.INTERNAL, f"unexpected {type(exc).__name__}: {exc}"
        )
        return RunAnswers([unexpected] * len(claimed))


def _settle(
    context: WorkerContext,
    run_id: str,
    owner: str,
    claimed: list[_Claimed],
    answers: RunAnswers,
) -> list[JobOutcome]:
    """Every job's decision in one transaction; then finalise and send what was re-queued."""
    max_attempts = context.settings.max_attempts
    decisions: list[tuple[_Claimed, Decision]] = [
        (each, decide(outcome, each.attempts, max_attempts))
        for each, outcome in zip(claimed, answers.outcomes, strict=False)
    ]
    culprit: _Claimed | None = None
    innocents: list[_Claimed] = []
    if answers.stopped is not None:
        culprit = claimed[len(answers.outcomes)]
        innocents = claimed[len(answers.outcomes) + 1 :]
        logger.warning(
            "job %s, attempt %d, stopped its run of %d jobs: %s",
            culprit.job_id,
            culprit.attempts,
            len(claimed),
            answers.stopped,
        )
        decisions.append((culprit, decide(answers.stopped, culprit.attempts, max_attempts)))
    completions = [
        Completion(each.job_id, extraction_record(decision.result), usage_of(decision.result))
        for each, decision in decisions
        if isinstance(decision, Complete)
    ]
    failures = [
        Failure(each.job_id, decision.error.category, decision.error.message)
        for each, decision in decisions
        if isinstance(decision, Fail)
    ]
    with transaction(context.sessions) as session:
        settled = settle_jobs(session, owner, completions, failures)
        parked = {
            each.job_id
            for each, decision in decisions
            if isinstance(decision, Park)
            and park_job(session, each.job_id, owner, decision.error.message)
        }
        released = [
            each
            for each, decision in decisions
            if isinstance(decision, Release)
            and release_job(
                session, each.job_id, owner, decision.error.category, decision.error.message
            )
        ]
        given_back: list[str] = []
        if culprit is not None and answers.stopped is not None:
            leave_run(session, culprit.job_id)
            given_back = release_jobs(
                session,
                [each.job_id for each in innocents],
                owner,
                answers.stopped.category,
                f"not run: the job of chunk {culprit.seq} stopped its run "
                f"({answers.stopped.message}); this attempt is not counted",
                charged=False,
            )
    for document_id in settled.finished_documents:
        finalize_document(context, document_id)
    context.enqueuer.enqueue_jobs([(each.job_id, each.queue) for each in released])
    if given_back:
        context.enqueuer.enqueue_runs([(run_id, claimed[0].queue)])
    queued = {each.job_id for each in released} | set(given_back)
    return _outcomes(context, claimed, decisions, settled, parked, queued)


def _outcomes(
    context: WorkerContext,
    claimed: list[_Claimed],
    decisions: list[tuple[_Claimed, Decision]],
    settled: SettledJobs,
    parked: set[str],
    queued: set[str],
) -> list[JobOutcome]:
    """What happened to each job; one whose transition found no row lost its lease, or its
    document was deleted."""
    categories = {
        each.job_id: decision.error.category.value
        for each, decision in decisions
        if not isinstance(decision, Complete)
    }
    states = dict.fromkeys(settled.completed, "succeeded")
    states.update(dict.fromkeys(settled.failed, "failed"))
    states.update(dict.fromkeys(parked, "waiting"))
    states.update(dict.fromkeys(queued, "queued"))
    missing = [each.job_id for each in claimed if each.job_id not in states]
    if missing:
        states.update(
            dict.fromkeys(missing, "deleted" if _deleted(context, missing[0]) else "lost-lease")
        )
    return [
        JobOutcome(
            each.job_id,
            states[each.job_id],
            categories.get(each.job_id) if states[each.job_id] != "succeeded" else None,
        )
        for each in claimed
    ]


def _deleted(context: WorkerContext, job_id: str) -> bool:
    """The job's document was deleted while it ran: it ends quietly, writing nothing."""
    with transaction(context.sessions) as session:
        return queue_of_job(session, job_id) is None
