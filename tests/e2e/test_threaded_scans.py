"""A `threads` pool worker with eight distinct scanned PDFs in flight on the MoE tier.

Every job runs in its own isolated child of the threaded worker; the fake vLLM server answers
slowly so all eight documents' pages are in flight at once. Every page must come back from the
model (no fallback, no "document closed"), and the server must have seen eight at a time.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from tests.fakes.fake_vllm import MOE_MODEL, FakeVllmServer, running_fake_vllm
from tests.fakes.vllm_requests import FakeVllmConfig
from tests.support.workers import celery_worker

pytestmark = pytest.mark.slow

DOCUMENTS = 8
PAGES = 2
WAIT_SECONDS = 240


def _scanned_pdf(path: Path, title: str) -> None:
    """A PDF whose pages are pictures of text (no fonts: routed to the MoE tier)."""
    source = pymupdf.open()
    for page_number in range(PAGES):
        source.new_page().insert_text((72, 100), f"{title}, page {page_number + 1}", fontsize=18)
    scan = pymupdf.open()
    for page in source.pages():
        picture = scan.new_page()
        picture.insert_image(picture.rect, pixmap=page.get_pixmap(dpi=72))
    scan.save(path)


@pytest.fixture
def moe() -> Iterator[FakeVllmServer]:
    with running_fake_vllm(FakeVllmConfig(capacity=DOCUMENTS * PAGES)) as server:
        server.control.request_latency = 1.5
        yield server


@pytest.fixture
def settings(
    postgres_engine: Engine, broker_url: str, tmp_path: Path, moe: FakeVllmServer
) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        vllm_url=moe.base_url,
        vllm_model=MOE_MODEL,
    )


def test_eight_distinct_scans_in_flight_in_a_threaded_worker(
    settings: Settings, moe: FakeVllmServer, tmp_path: Path
) -> None:
    paths = []
    for number in range(DOCUMENTS):
        path = tmp_path / f"scan-{number}.pdf"
        _scanned_pdf(path, f"Greenhouse ledger {number}")
        paths.append(path)
    with (
        TestClient(create_app(settings)) as api,
        celery_worker(settings, tmp_path, queues="ingest", concurrency=2),
        celery_worker(settings, tmp_path, queues="vlm", concurrency=16, pool="threads"),
    ):
        ids = []
        for path in paths:
            with path.open("rb") as stream:
                response = api.post("/v1/documents", files={"file": (path.name, stream)})
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])
        deadline = time.monotonic() + WAIT_SECONDS
        for document_id in ids:
            while api.get(f"/v1/documents/{document_id}").json()["status"] in (
                "queued",
                "processing",
            ):
                assert time.monotonic() < deadline, "the batch did not finish"
                time.sleep(0.5)
        documents = [api.get(f"/v1/documents/{document_id}").json() for document_id in ids]
        jobs = [api.get(f"/v1/documents/{document_id}/jobs").json() for document_id in ids]

    assert [document["status"] for document in documents] == ["done"] * DOCUMENTS
    for document_jobs in jobs:
        assert len(document_jobs) == PAGES
        for job in document_jobs:
            assert (job["tier"], job["state"], job["model"]) == ("moe", "succeeded", MOE_MODEL)
            assert job["fell_back"] is False
    stats = moe.control.stats()
    assert stats.served == DOCUMENTS * PAGES
    assert stats.max_running >= DOCUMENTS  # at least eight requests at once
