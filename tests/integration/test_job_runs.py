"""Job runs: consecutive local-tier pages grouped when a document is chunked, claimed in one
statement, run in one request and settled in one transaction, while every page keeps its own
job row, attempts, error and extraction."""

import io
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select, update

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.errors import PipelineError
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, DocumentStatus, ErrorCategory, Tier
from schemas.plans import JobPlan
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import transaction
from storage.documents import claim_for_chunking, get_document, record_chunks
from storage.intake import take_in
from storage.ledger import claim_job, claim_run, queued_work_of_document
from storage.models import DocumentResult, Extraction, Job
from storage.types import utcnow
from tests.support.documents import make_text_pdf
from workers import chunk_document as chunk_step
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.isolation.messages import DocumentPlan, IsolationError, PlanRequest, RunAnswers
from workers.isolation.runners import ChunkRunner
from workers.job_run import run_job_run
from workers.lease import LeaseHeartbeat
from workers.run_job import run_job

LOCAL = (ChunkKind.PDF_PAGE, Tier.LOCAL, None)
MOE = (ChunkKind.PDF_PAGE, Tier.MOE, None)
WAITING = (ChunkKind.PDF_PAGE, Tier.MOE, "the moe tier is not configured")
SPEECH = (ChunkKind.SPEECH_SEGMENT, Tier.LOCAL, None)
IMAGE = (ChunkKind.IMAGE, Tier.LOCAL, None)


def _plans(kinds: Sequence[tuple[ChunkKind, Tier, str | None]]) -> list[JobPlan]:
    return [
        JobPlan(
            chunk=ChunkDescriptor(seq=seq, kind=kind, page_number=seq + 1),
            tier=tier,
            budget=None,
            waiting_reason=reason,
        )
        for seq, (kind, tier, reason) in enumerate(kinds)
    ]


def _record(
    context: WorkerContext, tmp_path: Path, plans: list[JobPlan], run_pages: int
) -> tuple[str, dict[int, str | None], list[tuple[str, str]], list[tuple[str, str]]]:
    """A document recorded with `plans`: its id, run id by seq, and the messages to send."""
    intake = take_in(
        context.sessions,
        BlobStore(tmp_path / "blobs"),
        io.BytesIO(b"%PDF-"),
        filename="x.pdf",
        collection="c",
        options={},
    )
    document_id = intake.document.id
    with transaction(context.sessions) as session:
        assert claim_for_chunking(session, document_id, "chunker", 60, max_attempts=3)
        recorded = record_chunks(
            session,
            document_id,
            "chunker",
            media_type="application/pdf",
            plans=plans,
            run_pages=run_pages,
        )
    with transaction(context.sessions) as session:
        rows = session.execute(
            select(Job.seq, Job.run_id).where(Job.document_id == document_id).order_by(Job.seq)
        ).all()
    return document_id, {seq: run_id for seq, run_id in rows}, recorded.jobs, recorded.runs


def _groups(run_ids: dict[int, str | None]) -> list[list[int]]:
    """The seqs of each run, in order of their first page."""
    by_run: dict[str, list[int]] = {}
    for seq, run_id in sorted(run_ids.items()):
        if run_id is not None:
            by_run.setdefault(run_id, []).append(seq)
    return list(by_run.values())


@pytest.fixture
def context(any_engine: Engine, tmp_path: Path) -> Iterator[WorkerContext]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        isolation="off",
        max_attempts=2,
    )
    built = build_context(settings, CollectingEnqueuer())
    yield built
    built.close()


def _collecting(context: WorkerContext) -> CollectingEnqueuer:
    assert isinstance(context.enqueuer, CollectingEnqueuer)
    return context.enqueuer


def test_forty_local_pages_make_runs_of_16_16_and_8(context: WorkerContext, tmp_path: Path) -> None:
    _, run_ids, jobs, runs = _record(context, tmp_path, _plans([LOCAL] * 40), 16)
    assert _groups(run_ids) == [list(range(16)), list(range(16, 32)), list(range(32, 40))]
    assert jobs == []
    assert [queue for _, queue in runs] == ["local"] * 3
    assert [run_id for run_id, _ in runs] == list(dict.fromkeys(run_ids.values()))


def test_model_tier_speech_and_waiting_jobs_are_never_grouped_and_end_a_run(
    context: WorkerContext, tmp_path: Path
) -> None:
    kinds = [LOCAL] * 3 + [MOE] + [LOCAL] + [SPEECH] + [IMAGE] * 2 + [WAITING] + [LOCAL] * 5
    _, run_ids, jobs, runs = _record(context, tmp_path, _plans(kinds), 4)
    # seq 0-2 a run; 3 moe; 4 a local page alone (no run of one); 5 speech (asr queue);
    # 6-7 images, a run; 8 waiting; 9-12 a run of 4, 13 alone.
    assert _groups(run_ids) == [[0, 1, 2], [6, 7], [9, 10, 11, 12]]
    seq_of = {job_id: seq for seq, job_id in _all_job_ids(context).items()}
    assert sorted((seq_of[job_id], queue) for job_id, queue in jobs) == [
        (3, "vlm"),
        (4, "local"),
        (5, "asr"),
        (13, "local"),
    ]
    assert len(runs) == 3


def test_a_run_size_of_one_groups_nothing(context: WorkerContext, tmp_path: Path) -> None:
    _, run_ids, jobs, runs = _record(context, tmp_path, _plans([LOCAL] * 5 + [MOE]), 1)
    assert set(run_ids.values()) == {None}
    assert runs == []
    assert [queue for _, queue in jobs] == ["local"] * 5 + ["vlm"]


def test_a_run_partly_claimed_elsewhere_claims_only_the_rest(
    context: WorkerContext, tmp_path: Path
) -> None:
    _, run_ids, _, runs = _record(context, tmp_path, _plans([LOCAL] * 4), 16)
    ((run_id, _),) = runs
    by_seq = _all_job_ids(context)
    with transaction(context.sessions) as session:
        assert claim_job(session, by_seq[1], "alone", 60) is not None  # re-sent by a sweep
    with transaction(context.sessions) as session:
        claimed = claim_run(session, run_id, "runner", 60)
        assert [(job.seq, job.attempts, job.lease_owner) for job in claimed] == [
            (0, 1, "runner"),
            (2, 1, "runner"),
            (3, 1, "runner"),
        ]
    with transaction(context.sessions) as session:
        assert claim_run(session, run_id, "someone-else", 60) == []  # every lease is held
        again = claim_run(session, run_id, "runner", 60)  # a redelivery takes its own back
        assert [job.seq for job in again] == [0, 2, 3]
        session.execute(update(Job).where(Job.id == by_seq[1]).values(lease_expires_at=utcnow()))
    with transaction(context.sessions) as session:
        late = claim_run(session, run_id, "third", 60)  # only the expired lease
        assert [(job.seq, job.attempts) for job in late] == [(1, 2)]
    assert len(run_ids) == 4


def _all_job_ids(context: WorkerContext) -> dict[int, str]:
    with transaction(context.sessions) as session:
        return {seq: job_id for seq, job_id in session.execute(select(Job.seq, Job.id))}


class ScriptedRunner:
    """The in-process runner, except for pages told to break (a `page_error`) or to stop the
    run as a crashed child would."""

    def __init__(self, real: ChunkRunner, broken: set[int], crash: set[int]) -> None:
        self.real = real
        self.broken = broken
        self.crash = crash
        self.requests: list[list[int]] = []

    def run_chunk(self, job: ChunkJob) -> ExtractionResult:
        answers = self.run_chunks([job])
        if answers.stopped is not None:
            raise answers.stopped
        outcome = answers.outcomes[0]
        if isinstance(outcome, PipelineError):
            raise outcome
        result: ExtractionResult = outcome
        return result

    def run_chunks(self, jobs: Sequence[ChunkJob]) -> RunAnswers:
        self.requests.append([job.chunk.seq for job in jobs])
        outcomes: list[ExtractionResult | PipelineError] = []
        for job in jobs:
            if job.chunk.seq in self.crash:
                crashed = IsolationError(ErrorCategory.CRASHED, "its process died from SIGSEGV")
                return RunAnswers(outcomes, crashed)
            if job.chunk.seq in self.broken:
                outcomes.append(PipelineError(ErrorCategory.PAGE_ERROR, "the page is broken"))
            else:
                outcomes.append(self.real.run_chunk(job))
        return RunAnswers(outcomes)

    def plan_document(self, request: PlanRequest) -> DocumentPlan:
        return self.real.plan_document(request)

    def limit_workers(self, count: int | None) -> None:
        self.real.limit_workers(count)

    def close(self) -> None:
        self.real.close()


def _chunked_pdf(context: WorkerContext, tmp_path: Path, pages: int) -> str:
    path = tmp_path / f"{pages}.pdf"
    make_text_pdf(path, pages)
    with path.open("rb") as stream:
        intake = take_in(
            context.sessions,
            context.blobs,
            stream,
            filename=path.name,
            collection="c",
            options={},
        )
    chunk_step.chunk_document(context, intake.document.id, "chunker")
    return intake.document.id


def _count_transactions(engine: Engine) -> Counter[str]:
    counts: Counter[str] = Counter()

    def commit(_: object) -> None:
        counts["commit"] += 1

    event.listen(engine, "commit", commit)
    return counts


def test_a_run_with_a_broken_page_settles_in_one_transaction_and_the_document_ends_partial(
    context: WorkerContext, tmp_path: Path
) -> None:
    document_id = _chunked_pdf(context, tmp_path, 20)
    enqueued = _collecting(context)
    assert enqueued.jobs == [] and len(enqueued.runs) == 2  # pages 1-16 and 17-20
    (first, _), (second, _) = enqueued.runs
    enqueued.runs.clear()
    runner = ScriptedRunner(context.isolation, broken={3}, crash=set())
    context.isolation = runner
    commits = _count_transactions(context.engine)
    outcomes = run_job_run(context, first, "worker")
    assert commits["commit"] == 2  # the claim and the settling: not two per page
    assert Counter(outcome.state for outcome in outcomes) == {"succeeded": 15, "failed": 1}
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        assert document is not None
        assert (document.jobs_pending, document.jobs_succeeded, document.jobs_failed) == (4, 15, 1)
        assert document.status == DocumentStatus.PROCESSING
        assert session.scalar(select(func.count()).select_from(DocumentResult)) == 0
    assert [outcome.state for outcome in run_job_run(context, second, "w")] == ["succeeded"] * 4
    assert runner.requests == [list(range(16)), list(range(16, 20))]
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        assert document is not None
        assert (document.status, document.jobs_pending) == (DocumentStatus.PARTIAL, 0)
        assert (document.jobs_succeeded, document.jobs_failed) == (19, 1)
        failed = session.execute(
            select(Job.seq, Job.error_category, Job.attempts).where(Job.state == "failed")
        ).all()
        assert [tuple(row) for row in failed] == [(3, "page_error", 1)]
        extractions = session.scalars(select(Extraction.seq).order_by(Extraction.seq)).all()
        assert extractions == [seq for seq in range(20) if seq != 3]
        result = session.scalars(select(DocumentResult)).one()
        assert len(result.data["pages"]) == 20
    assert run_job_run(context, first, "late-redelivery") == []  # nothing left to claim


def test_a_crash_charges_only_the_page_it_happened_in_and_takes_it_out_of_the_run(
    context: WorkerContext, tmp_path: Path
) -> None:
    document_id = _chunked_pdf(context, tmp_path, 6)
    enqueued = _collecting(context)
    ((run_id, _),) = enqueued.runs
    enqueued.runs.clear()
    runner = ScriptedRunner(context.isolation, broken=set(), crash={2})
    context.isolation = runner
    states = [outcome.state for outcome in run_job_run(context, run_id, "worker")]
    assert states == ["succeeded", "succeeded", "queued", "queued", "queued", "queued"]
    by_seq = _all_job_ids(context)
    assert enqueued.jobs == [(by_seq[2], "local")]  # the culprit alone
    assert enqueued.runs == [(run_id, "local")]  # the pages it did not reach, as one run
    with transaction(context.sessions) as session:
        rows = session.execute(
            select(Job.seq, Job.state, Job.attempts, Job.run_id, Job.error_category)
            .where(Job.seq >= 2)
            .order_by(Job.seq)
        ).all()
    assert [tuple(row) for row in rows] == [
        (2, "queued", 1, None, "crashed"),
        *[(seq, "queued", 0, run_id, "crashed") for seq in range(3, 6)],
    ]
    with transaction(context.sessions) as session:  # what a re-run of `ingest` would send
        again = queued_work_of_document(session, document_id)
    assert (again.jobs, again.runs) == ([(by_seq[2], "local")], [(run_id, "local")])
    assert again.job_ids == [by_seq[seq] for seq in range(2, 6)]
    enqueued.runs.clear()
    assert [o.state for o in run_job_run(context, run_id, "worker")] == ["succeeded"] * 3
    assert runner.requests[-1] == [3, 4, 5]  # the culprit is no longer in its run
    enqueued.jobs.clear()
    outcome = run_job(context, by_seq[2], "worker")  # crashes again: its last attempt
    assert (outcome.state, outcome.error_category) == ("failed", "crashed")
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        assert document is not None
        assert (document.status, document.jobs_succeeded, document.jobs_failed) == (
            DocumentStatus.PARTIAL,
            5,
            1,
        )
        attempts = {seq: n for seq, n in session.execute(select(Job.seq, Job.attempts))}
    assert attempts == {0: 1, 1: 1, 2: 2, 3: 1, 4: 1, 5: 1}


def test_the_heartbeat_keeps_a_runs_leases_and_notices_one_taken_over(
    context: WorkerContext, tmp_path: Path
) -> None:
    lease_seconds = 0.6
    _, _, _, runs = _record(context, tmp_path, _plans([LOCAL] * 3), 16)
    ((run_id, _),) = runs
    with transaction(context.sessions) as session:
        claimed = [job.id for job in claim_run(session, run_id, "me", lease_seconds)]
    heartbeat = LeaseHeartbeat(context.sessions, lease_seconds)
    with heartbeat.hold_many(claimed, "me") as held:
        time.sleep(lease_seconds * 2.5)
        with transaction(context.sessions) as session:
            expiries = session.scalars(select(Job.lease_expires_at)).all()
        assert len(expiries) == 3
        assert all(expiry is not None and expiry > utcnow() for expiry in expiries)
        assert not held.lost
        with transaction(context.sessions) as session:
            session.execute(update(Job).where(Job.id == claimed[1]).values(lease_owner="thief"))
        time.sleep(lease_seconds)
        assert held.lost
