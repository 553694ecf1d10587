"""Hundreds of hostile files in one batch: every one ends done, partial or failed with a
category, the batch ends normally and nothing hangs. Once through the embedded `greenhouse
ingest`, once through a real Celery worker on Redis and PostgreSQL.

The corpus is the project's own seeded mutations (tests/support/fuzz_corpus.py): truncation,
byte flips, damaged cross-reference tables, page-tree cycles, deep nesting and absurd sizes of
PDFs, images, audio and video.
"""

import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from schemas.enums import ErrorCategory
from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.models import Document, Job
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.fuzz_corpus import write_fuzz_corpus
from tests.support.workers import celery_worker

pytestmark = pytest.mark.slow

CORPUS_SIZE = 200
TERMINAL = {"done", "partial", "failed"}
CATEGORIES = {category.value for category in ErrorCategory}
BOUNDS: dict[str, Any] = {
    "job_deadline_seconds": 60.0,
    "chunk_deadline_seconds": 60.0,
    "max_attempts": 2,
}
"""Short deadlines: a mutant that hangs a parser costs a minute at most, never the batch."""


def _distinct_corpus(folder: Path, seed: int) -> list[Path]:
    """The mutants, one file per distinct content (the same bytes are one document)."""
    seen: set[bytes] = set()
    kept = []
    for path in write_fuzz_corpus(folder, CORPUS_SIZE, seed):
        data = path.read_bytes()
        if data in seen:
            path.unlink()
        else:
            seen.add(data)
            kept.append(path)
    return kept


def _outcomes(database_url: str) -> tuple[dict[str, tuple[str, str | None]], list[str | None]]:
    """Every document's (status, error category) by filename, and every failed job's category."""
    engine = make_engine(database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            documents = session.execute(
                select(Document.filename, Document.status, Document.error_category)
            ).all()
            failed_jobs = session.scalars(
                select(Job.error_category).where(Job.state == "failed")
            ).all()
    finally:
        engine.dispose()
    by_name = {str(name): (status, category) for name, status, category in documents}
    return by_name, list(failed_jobs)


def _assert_every_file_ended_with_a_category(database_url: str, files: list[Path]) -> Counter[str]:
    documents, failed_job_categories = _outcomes(database_url)
    assert set(documents) == {path.name for path in files}
    unfinished = {name: status for name, (status, _) in documents.items() if status not in TERMINAL}
    assert unfinished == {}
    for name, (status, category) in documents.items():
        if status == "failed":
            assert category in CATEGORIES, (name, category)
    assert all(category in CATEGORIES for category in failed_job_categories)
    outcomes = Counter(
        f"{status}:{category}" if status == "failed" else status
        for status, category in documents.values()
    )
    outcomes.update(f"job failed:{category}" for category in failed_job_categories)
    print(f"\n{len(files)} mutants: {dict(sorted(outcomes.items()))}")
    return outcomes


def test_an_embedded_batch_of_mutants_ends_every_file(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    files = _distinct_corpus(tmp_path / "mutants", seed=7)
    settings = sqlite_settings.model_copy(update=BOUNDS)

    result = ingest_cli(settings, str(tmp_path / "mutants"), "--json", timeout=1200)

    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: some documents not done
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert len(reports_by_name(result.stdout)) == len(files)
    outcomes = _assert_every_file_ended_with_a_category(settings.database_url, files)
    assert outcomes["done"] > 0  # mutations that leave a file readable are read


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        **BOUNDS,
    )


def _wait_until_all_finish(database_url: str, expected: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        documents, _ = _outcomes(database_url)
        if len(documents) == expected and all(s in TERMINAL for s, _ in documents.values()):
            return
        time.sleep(1.0)
    unfinished = {
        name: s for name, (s, _) in _outcomes(database_url)[0].items() if s not in TERMINAL
    }
    raise AssertionError(f"unfinished after {seconds:g} s: {unfinished}")


def test_a_celery_batch_of_mutants_ends_every_file(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    files = _distinct_corpus(tmp_path / "mutants", seed=11)
    with celery_worker(settings, tmp_path, queues="ingest,local,asr", concurrency=2) as worker:
        for path in files:
            with path.open("rb") as stream:
                response = api.post("/v1/documents", files={"file": (path.name, stream)})
            assert response.status_code == 202, response.text
        _wait_until_all_finish(settings.database_url, len(files), seconds=1200)
        assert worker.process.poll() is None  # the worker is still serving
        log = worker.log()

    outcomes = _assert_every_file_ended_with_a_category(settings.database_url, files)
    assert outcomes["done"] > 0
    assert "WorkerLostError" not in log
