"""A segfault, a hang or a memory blow-up inside a parser costs one job, never a batch or a
worker: through a real embedded `greenhouse ingest` and through real Celery workers.

The test hooks (`GREENHOUSE_TEST_HOOKS=1`, markers appended to the files) make an isolated
child crash on purpose; the deadlines and the memory limit are short so the tests stay fast.
"""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.models import Job
from tests.support.api import upload, wait_until_finished
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.documents import make_text_pdf
from tests.support.workers import celery_worker
from workers.isolation.hooks import hook_marker

pytestmark = pytest.mark.slow

WAIT_SECONDS = 120

HOOKS: dict[str, Any] = {
    "test_hooks": True,
    "job_deadline_seconds": 3.0,
    "chunk_deadline_seconds": 8.0,
    "child_memory_mb": 768,
    "max_attempts": 2,
}
FAULTY = {
    "crash.pdf": (4, "segfault", 1, "crashed"),
    "hang.pdf": (3, "hang", 0, "timeout"),
    "greedy.pdf": (3, "allocate", 2, "too_large"),
}
"""name: (pages, hook action, 0-based page of the faulty job, the category it ends with)."""


def _write_batch(folder: Path) -> None:
    folder.mkdir()
    make_text_pdf(folder / "good.pdf", 5)
    for name, (pages, action, seq, _) in FAULTY.items():
        make_text_pdf(folder / name, pages)
        with (folder / name).open("ab") as stream:
            stream.write(hook_marker(action, f"seq-{seq}"))
    make_text_pdf(folder / "chunk-crash.pdf", 2)
    with (folder / "chunk-crash.pdf").open("ab") as stream:
        stream.write(hook_marker("segfault", "chunking"))


def _failed_jobs(database_url: str, document_id: str) -> list[tuple[int, str | None, int]]:
    """(seq, error category, attempts) of a document's failed jobs."""
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            rows = session.execute(
                select(Job.seq, Job.error_category, Job.attempts).where(
                    Job.document_id == document_id, Job.state == "failed"
                )
            ).all()
    finally:
        engine.dispose()
    return [(seq, category, attempts) for seq, category, attempts in rows]


def _assert_outcomes(database_url: str, documents: dict[str, dict]) -> None:
    good = documents["good.pdf"]
    assert good["status"] == "done", good
    assert good["jobs"]["succeeded"] == 5
    for name, (pages, _, seq, category) in FAULTY.items():
        report = documents[name]
        assert report["status"] == "partial", (name, report)
        assert report["jobs"]["succeeded"] == pages - 1, name
        assert report["jobs"]["failed"] == 1, name
        assert _failed_jobs(database_url, report["id"]) == [(seq, category, 2)], name
    chunk_crash = documents["chunk-crash.pdf"]
    assert chunk_crash["status"] == "failed", chunk_crash
    assert chunk_crash["error"]["category"] == "crashed", chunk_crash


def test_embedded_ingest_survives_crashes_hangs_and_blowups(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    _write_batch(folder)
    settings = sqlite_settings.model_copy(update=HOOKS)
    result = ingest_cli(settings, str(folder), "--json", "--processes", "2")
    assert result.returncode == 1, result.stderr  # some documents are partial: not a crash
    documents = reports_by_name(result.stdout)
    assert set(documents) == {"good.pdf", "chunk-crash.pdf", *FAULTY}
    _assert_outcomes(settings.database_url, documents)


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=5,
        reaper_interval_seconds=1,
        broker_visibility_timeout=30,
        stale_queued_seconds=60,
        **HOOKS,
    )


@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_celery_worker_survives_crashes_hangs_and_blowups(
    api: TestClient, settings: Settings, tmp_path: Path, pool: str
) -> None:
    folder = tmp_path / "batch"
    _write_batch(folder)
    after = tmp_path / "after.pdf"
    make_text_pdf(after, 3)
    with celery_worker(settings, tmp_path, concurrency=2, pool=pool) as worker:
        ids = {path.name: upload(api, path) for path in sorted(folder.iterdir())}
        documents = {
            name: wait_until_finished(api, document_id, WAIT_SECONDS)
            for name, document_id in ids.items()
        }
        for name, document in documents.items():
            document["path"] = name
        assert worker.process.poll() is None  # the worker is still there
        later = wait_until_finished(api, upload(api, after), WAIT_SECONDS)  # and keeps serving
        log = worker.log()
    _assert_outcomes(settings.database_url, documents)
    assert later["status"] == "done"
    assert "WorkerLostError" not in log
    assert "exited with 'signal" not in log
