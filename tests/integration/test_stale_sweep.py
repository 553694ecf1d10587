"""The stale-queue sweep over simulated hours: healthy queued work is never sent twice, lost
work is sent again once per window (visibility timeout + stale interval), and at once when the
broker lost its data."""

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, update

from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, Tier
from schemas.plans import JobPlan
from schemas.settings import Settings
from storage import documents as document_repository
from storage import ledger, results
from storage.blobs import BlobStore
from storage.database import transaction
from storage.intake import take_in
from storage.models import Document, Job
from storage.types import utcnow
from workers.broker_memory import BrokerMemory
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.reaper import reap_once

pytestmark = pytest.mark.slow

VISIBILITY_SECONDS = 3600
STALE_SECONDS = 900
WINDOW_MINUTES = (VISIBILITY_SECONDS + STALE_SECONDS) // 60


class FakeClock:
    """The storage layer's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    for module in (ledger, document_repository, results):
        monkeypatch.setattr(module, "utcnow", fake)
    return fake


@pytest.fixture
def context(any_engine: Engine, tmp_path: Path) -> WorkerContext:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        broker_url="redis://127.0.0.1:1/0",  # never contacted: the enqueuer only collects
        blob_root=str(tmp_path / "blobs"),
        broker_visibility_timeout=VISIBILITY_SECONDS,
        stale_queued_seconds=STALE_SECONDS,
    )
    return build_context(settings, CollectingEnqueuer())


def _queued_document(context: WorkerContext, blobs: BlobStore, content: bytes) -> str:
    return take_in(
        context.sessions, blobs, io.BytesIO(content), filename="x.pdf", collection="c", options={}
    ).document.id


def document_with_jobs(
    context: WorkerContext, blobs: BlobStore, pages: int, content: bytes
) -> tuple[str, list[str]]:
    """A processing document with `pages` queued local jobs, recorded as a chunker does."""
    document_id = _queued_document(context, blobs, content)
    plans = [
        JobPlan(
            chunk=ChunkDescriptor(seq=i, kind=ChunkKind.PDF_PAGE, page_number=i + 1),
            tier=Tier.LOCAL,
            budget=None,
            waiting_reason=None,
        )
        for i in range(pages)
    ]
    with transaction(context.sessions) as session:
        session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(lease_owner="chunker", lease_expires_at=utcnow() + timedelta(minutes=1))
        )
        runnable = document_repository.record_chunks(
            session, document_id, "chunker", media_type="application/pdf", plans=plans
        )
    return document_id, runnable.job_ids


def _sweep_every_minute(
    context: WorkerContext, clock: FakeClock, minutes: int
) -> dict[str, list[int]]:
    """Run the reaper once a simulated minute; returns the minutes at which each id was sent."""
    enqueuer = context.enqueuer
    assert isinstance(enqueuer, CollectingEnqueuer)
    sent: dict[str, list[int]] = {}
    for minute in range(1, minutes + 1):
        clock.advance(60)
        reap_once(context)
        for work_id in [*enqueuer.documents, *(job_id for job_id, _ in enqueuer.jobs)]:
            sent.setdefault(work_id, []).append(minute)
        enqueuer.documents.clear()
        enqueuer.jobs.clear()
    return sent


def test_an_hour_of_sweeps_sends_nothing_twice_and_lost_work_once_per_window(
    context: WorkerContext, clock: FakeClock, tmp_path: Path
) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    _, healthy_jobs = document_with_jobs(context, blobs, 5, b"%PDF-healthy")
    healthy_document = _queued_document(context, blobs, b"%PDF-queued")
    _, (lost_job,) = document_with_jobs(context, blobs, 1, b"%PDF-lost")
    lost_document = _queued_document(context, blobs, b"%PDF-lost-document")
    two_hours_ago = clock.now - timedelta(hours=2)
    with transaction(context.sessions) as session:
        session.execute(update(Job).where(Job.id == lost_job).values(enqueued_at=two_hours_ago))
        session.execute(
            update(Document).where(Document.id == lost_document).values(enqueued_at=two_hours_ago)
        )

    first_hour = _sweep_every_minute(context, clock, 60)
    assert first_hour == {lost_job: [1], lost_document: [1]}

    # Past the first window nothing can tell a message that is still queued from a lost one:
    # everything still queued is sent once more, and again one window after that.
    later = _sweep_every_minute(context, clock, 2 * WINDOW_MINUTES)
    period = WINDOW_MINUTES + 1  # strictly older than the window, seen by a sweep each minute
    resent_lost = [1 + period - 60, 1 + 2 * period - 60]
    resent_healthy = [period - 60, 2 * period - 60]
    assert later[lost_job] == later[lost_document] == resent_lost
    for work_id in [*healthy_jobs, healthy_document]:
        assert later[work_id] == resent_healthy
    assert set(later) == {lost_job, lost_document, healthy_document, *healthy_jobs}


def test_a_broker_that_lost_its_data_gets_all_queued_work_again_at_once(
    context: WorkerContext, broker_url: str, tmp_path: Path
) -> None:
    enqueuer = context.enqueuer
    assert isinstance(enqueuer, CollectingEnqueuer)
    _, jobs = document_with_jobs(context, BlobStore(tmp_path / "blobs"), 3, b"%PDF-in-broker")
    first, second = BrokerMemory(broker_url), BrokerMemory(broker_url)  # two workers' reapers

    def sent_by(memory: BrokerMemory) -> list[str]:
        reap_once(context, memory)
        sent = [job_id for job_id, _ in enqueuer.jobs]
        enqueuer.jobs.clear()
        return sent

    assert sorted(sent_by(first)) == sorted(jobs)  # a broker never seen: it may have lost them
    assert sent_by(second) == sent_by(first) == []
    client = redis.Redis.from_url(broker_url)
    client.flushdb()  # Redis restarted without persistence: every message is gone
    client.close()
    assert sorted(sent_by(second)) == sorted(jobs)  # one reaper notices and re-sends
    assert sent_by(first) == sent_by(second) == []
    first.close()
    second.close()


class UnreachableBroker:
    """A Redis client during an outage."""

    def set(self, *args: object, **kwargs: object) -> bool:
        raise redis.ConnectionError("Error 111 connecting to the broker. Connection refused.")


def test_work_sent_while_the_broker_was_unreachable_is_sent_again_when_it_answers(
    context: WorkerContext, clock: FakeClock, broker_url: str, tmp_path: Path
) -> None:
    enqueuer = context.enqueuer
    assert isinstance(enqueuer, CollectingEnqueuer)
    blobs = BlobStore(tmp_path / "blobs")
    memory = BrokerMemory(broker_url, clock=clock)
    memory.check()  # the worker's first sweep: the broker is known

    def sweep_after_a_minute() -> list[str]:
        clock.advance(60)
        reap_once(context, memory)
        sent = [*enqueuer.documents, *(job_id for job_id, _ in enqueuer.jobs)]
        enqueuer.documents.clear()
        enqueuer.jobs.clear()
        return sent

    document_with_jobs(context, blobs, 2, b"%PDF-sent-before")  # sent before the outage: kept
    assert sweep_after_a_minute() == []
    reachable = memory._client
    memory._client = UnreachableBroker()  # type: ignore[assignment]
    clock.advance(60)
    with pytest.raises(redis.ConnectionError):
        reap_once(context, memory)
    clock.advance(30)
    _, (failed_send,) = document_with_jobs(context, blobs, 1, b"%PDF-sent-during")
    failed_document = _queued_document(context, blobs, b"%PDF-document-during")
    memory._client = reachable
    assert sorted(sweep_after_a_minute()) == sorted([failed_send, failed_document])
    assert sweep_after_a_minute() == []
    memory.close()
