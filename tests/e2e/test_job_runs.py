"""Job runs through a real Celery worker process: one broker message per run of local pages,
and a page that kills its isolated child fails alone while the other pages of its run succeed
without being charged an attempt."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.models import Job
from tests.support.api import upload, wait_until_finished
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.documents import make_text_pdf
from tests.support.private_redis import PrivateRedis
from tests.support.workers import celery_worker
from workers.isolation.hooks import hook_marker

pytestmark = pytest.mark.slow

WAIT_SECONDS = 180
POISONED_SEQ = 7


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis of our own, so its command counts are this test's messages alone."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def settings(postgres_engine: Engine, private_broker: PrivateRedis, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=private_broker.url,
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=5,
        reaper_interval_seconds=1,
        broker_visibility_timeout=30,
        stale_queued_seconds=60,
        test_hooks=True,
        job_deadline_seconds=5.0,
        max_attempts=2,
    )


def _poisoned_pdf(path: Path, pages: int) -> Path:
    make_text_pdf(path, pages)
    with path.open("ab") as stream:
        stream.write(hook_marker("segfault", f"seq-{POISONED_SEQ}"))
    return path


def _jobs(engine: Engine, document_id: str) -> list[tuple[int, str, str | None, int]]:
    """(seq, state, error category, attempts) of a document's jobs, in order."""
    with transaction(make_session_factory(engine)) as session:
        rows = session.execute(
            select(Job.seq, Job.state, Job.error_category, Job.attempts)
            .where(Job.document_id == document_id)
            .order_by(Job.seq)
        ).all()
    return [(seq, state, category, attempts) for seq, state, category, attempts in rows]


@pytest.mark.parametrize(("run_pages", "messages"), [(16, 1 + 3), (1, 1 + 40)])
def test_forty_pages_take_one_message_per_run(
    api: TestClient,
    settings: Settings,
    private_broker: PrivateRedis,
    postgres_engine: Engine,
    tmp_path: Path,
    run_pages: int,
    messages: int,
) -> None:
    settings.local_run_pages = run_pages
    pdf = tmp_path / "forty.pdf"
    make_text_pdf(pdf, 40)
    with celery_worker(settings, tmp_path, concurrency=2):
        before = private_broker.lpush_calls()
        document = wait_until_finished(api, upload(api, pdf), WAIT_SECONDS)
        sent = private_broker.lpush_calls() - before
    assert document["status"] == "done", document
    assert sent == messages  # chunking, then runs of 16, 16 and 8 pages (or one per page)
    assert {attempts for *_, attempts in _jobs(postgres_engine, document["id"])} == {1}


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_a_poisoned_page_fails_alone_and_its_run_succeeds(
    api: TestClient, settings: Settings, postgres_engine: Engine, tmp_path: Path, pool: str
) -> None:
    pdf = _poisoned_pdf(tmp_path / "poisoned.pdf", 20)
    with celery_worker(settings, tmp_path, concurrency=2, pool=pool) as worker:
        document = wait_until_finished(api, upload(api, pdf), WAIT_SECONDS)
        log = worker.log()
    assert document["status"] == "partial", document
    assert (document["jobs"]["succeeded"], document["jobs"]["failed"]) == (19, 1)
    jobs = _jobs(postgres_engine, document["id"])
    assert [job for job in jobs if job[1] != "succeeded"] == [
        (POISONED_SEQ, "failed", "crashed", 2)
    ]
    # Every other page ran once: the crash in their run charged none of them.
    assert {attempts for seq, _, _, attempts in jobs if seq != POISONED_SEQ} == {1}
    assert "greenhouse.run_job_run" in log
    assert "WorkerLostError" not in log


def test_embedded_ingest_runs_runs_and_a_poisoned_page_fails_alone(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    _poisoned_pdf(folder / "poisoned.pdf", 20)
    make_text_pdf(folder / "clean.pdf", 40)
    settings = sqlite_settings.model_copy(
        update={"test_hooks": True, "job_deadline_seconds": 5.0, "max_attempts": 2}
    )
    # Five runs (16 + 4 pages, 16 + 16 + 8) for two processes: the runs are the pool's units.
    result = ingest_cli(settings, str(folder), "--json", "--processes", "2")
    assert result.returncode == 1, result.stderr  # one document is partial
    reports = reports_by_name(result.stdout)
    assert reports["clean.pdf"]["status"] == "done"
    poisoned = reports["poisoned.pdf"]
    assert poisoned["status"] == "partial"
    assert (poisoned["jobs"]["succeeded"], poisoned["jobs"]["failed"]) == (19, 1)
    engine = make_engine(settings.database_url)
    try:
        jobs = _jobs(engine, poisoned["id"])
        clean = _jobs(engine, reports["clean.pdf"]["id"])
    finally:
        engine.dispose()
    assert [job for job in jobs if job[1] != "succeeded"] == [
        (POISONED_SEQ, "failed", "crashed", 2)
    ]
    assert {attempts for seq, _, _, attempts in jobs if seq != POISONED_SEQ} == {1}
    assert {attempts for *_, attempts in clean} == {1}
