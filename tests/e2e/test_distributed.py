"""The distributed path: real Celery workers on Redis, the API, PostgreSQL."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from schemas.settings import Settings
from storage.database import make_session_factory, transaction
from storage.models import Extraction, Job
from tests.support.api import document_result, upload, wait_until_finished
from tests.support.documents import make_encrypted_pdf, make_text_pdf
from tests.support.workers import celery_worker

WAIT_SECONDS = 120


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=3,
        reaper_interval_seconds=1,
        broker_visibility_timeout=5,
        stale_queued_seconds=30,
    )


def test_upload_to_workers_to_rest(api: TestClient, settings: Settings, tmp_path: Path) -> None:
    pdf = tmp_path / "twenty.pdf"
    lines = make_text_pdf(pdf, 20)
    broken = tmp_path / "locked.pdf"
    make_encrypted_pdf(broken)
    with celery_worker(settings, tmp_path, concurrency=2):
        document_id = upload(api, pdf)
        broken_id = upload(api, broken)
        document = wait_until_finished(api, document_id, WAIT_SECONDS)
        broken_document = wait_until_finished(api, broken_id, WAIT_SECONDS)
    assert document["status"] == "done", document
    assert document["page_count"] == 20
    assert document["jobs"] == {
        "total": 20,
        "queued": 0,
        "running": 0,
        "succeeded": 20,
        "failed": 0,
        "waiting": 0,
    }
    extractions = api.get(f"/v1/documents/{document_id}/extractions").json()
    assert [e["provenance"]["page_number"] for e in extractions] == list(range(1, 21))
    for extraction, expected in zip(extractions, lines, strict=True):
        assert [line for line in extraction["data"]["text"].splitlines() if line] == expected
    result = document_result(api, document_id)
    assert result["kind"] == "document_pages"
    assert result["data"]["page_count"] == 20
    assert result["data"]["failed_pages"] == []
    assert [p["text"] for p in result["data"]["pages"]] == [e["data"]["text"] for e in extractions]
    no_result = api.get(f"/v1/documents/{broken_id}/result")
    assert no_result.status_code == 404
    assert no_result.json()["error"]["detail"]["category"] == "encrypted"
    jobs = api.get(f"/v1/documents/{document_id}/jobs").json()
    assert {job["state"] for job in jobs} == {"succeeded"}
    assert api.get(f"/v1/jobs/{jobs[0]['id']}").json()["attempts"] == 1
    assert broken_document["status"] == "failed"
    assert broken_document["error"]["category"] == "encrypted"


def test_a_killed_worker_loses_nothing(
    api: TestClient, settings: Settings, postgres_engine: Engine, tmp_path: Path
) -> None:
    pdf = tmp_path / "slow.pdf"
    make_text_pdf(pdf, 40, table_on_every_page=True)
    sessions = make_session_factory(postgres_engine)

    def count(state: str) -> int:
        with transaction(sessions) as session:
            return int(session.scalar(select(func.count()).where(Job.state == state)) or 0)

    # Runs of two pages: the document's jobs settle a run at a time, so there is a long
    # stretch with some jobs done and others held (with runs of 16, three runs of these quick
    # pages could all finish within one poll, and the kill found nothing held).
    doomed_settings = settings.model_copy(update={"local_run_pages": 2})
    with celery_worker(doomed_settings, tmp_path, concurrency=2) as doomed:
        document_id = upload(api, pdf)
        deadline = time.monotonic() + WAIT_SECONDS
        while count("succeeded") < 3 or count("running") == 0:
            assert time.monotonic() < deadline, doomed.log()
            time.sleep(0.05)
        doomed.kill_hard()
    held = count("running")
    assert held >= 1, "the worker should have died holding jobs"
    with celery_worker(settings, tmp_path, concurrency=2):
        document = wait_until_finished(api, document_id, WAIT_SECONDS)
    assert document["status"] == "done", document
    with transaction(sessions) as session:
        extraction_jobs = session.scalars(
            select(Extraction.job_id).where(Extraction.document_id == document_id)
        ).all()
        retried = session.scalar(
            select(func.count()).where(Job.document_id == document_id, Job.attempts > 1)
        )
    assert len(extraction_jobs) == 40 == len(set(extraction_jobs))
    assert retried is not None and retried >= held
