"""Deleting a document while a real Celery worker runs its jobs: the rest of its messages are
consumed without effect, nothing is written back, and the worker logs no error."""

import math
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.models import Document, DocumentResult, Extraction, Job
from tests.support.api import upload
from tests.support.documents import make_text_pdf
from tests.support.workers import celery_worker

PAGES = 120
WAIT_SECONDS = 180
RUN_DONE = re.compile(r"Task greenhouse\.run_job_run\[[0-9a-f-]+\] succeeded")


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        reaper_interval_seconds=1,
    )


def _wait_for(condition: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {condition}"
        time.sleep(0.1)


def test_deleting_a_document_while_its_jobs_run(
    api: TestClient, settings: Settings, postgres_engine: Engine, tmp_path: Path
) -> None:
    pdf = tmp_path / "long.pdf"
    make_text_pdf(pdf, PAGES)
    sessions = make_session_factory(postgres_engine)
    with celery_worker(settings, tmp_path, concurrency=1) as worker:
        document_id = upload(api, pdf)
        sha256 = api.get(f"/v1/documents/{document_id}").json()["sha256"]

        succeeded = 0

        def some_jobs_succeeded() -> bool:
            nonlocal succeeded
            succeeded = int(api.get(f"/v1/documents/{document_id}").json()["jobs"]["succeeded"])
            return succeeded > 0

        _wait_for("a first job succeeded", some_jobs_succeeded)
        assert api.delete(f"/v1/documents/{document_id}").status_code == 204
        assert succeeded < PAGES  # the precondition: jobs were left to run
        runs = math.ceil(PAGES / settings.local_run_pages)  # one message per job run
        _wait_for(
            f"the worker consumed all {runs} job run messages",
            lambda: len(RUN_DONE.findall(worker.log())) == runs,
        )
        log = worker.log()
    assert "Traceback" not in log
    assert "ERROR/" not in log
    assert api.get(f"/v1/documents/{document_id}").status_code == 404
    with transaction(sessions) as session:
        for model in (Document, Job, Extraction, DocumentResult):
            assert session.scalar(select(func.count()).select_from(model)) == 0
    assert not BlobStore(Path(settings.blob_root)).exists(sha256)
