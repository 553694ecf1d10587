"""/v1/extractions filters and pagination, and /metrics, on both backends."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.ledger import ExtractionRecord, Usage, claim_job, complete_job
from tests.api.test_documents_api import RecordingDispatcher
from tests.integration.ledger_helpers import document_with_jobs


@pytest.fixture
def client(any_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
    )
    sessions = make_session_factory(any_engine)
    _, job_ids = document_with_jobs(sessions, BlobStore(tmp_path), 5)
    for index, job_id in enumerate(job_ids):
        if index < 2:
            record = ExtractionRecord(
                kind="schema_extraction",
                data={"schema": "invoice" if index == 0 else "receipt", "fields": {}, "text": ""},
                provenance={"page_number": index + 1},
                engine="vllm:m",
            )
        else:
            record = ExtractionRecord(
                kind="page_content", data={"text": f"page {index}"}, provenance={}, engine="pymupdf"
            )
        with transaction(sessions) as session:
            claim_job(session, job_id, "w", 60)
            complete_job(session, job_id, "w", record, Usage(tokens_in=10, tokens_out=3))
    with TestClient(create_app(settings, RecordingDispatcher())) as test_client:
        yield test_client


def test_extractions_filter_and_paginate(client: TestClient) -> None:
    everything = client.get("/v1/extractions").json()
    assert len(everything["items"]) == 5 and everything["next_cursor"] is None
    kinds = client.get("/v1/extractions", params={"kind": "page_content"}).json()["items"]
    assert {item["kind"] for item in kinds} == {"page_content"} and len(kinds) == 3
    invoice = client.get("/v1/extractions", params={"schema": "invoice"}).json()["items"]
    assert [item["data"]["schema"] for item in invoice] == ["invoice"]
    assert client.get("/v1/extractions", params={"collection": "elsewhere"}).json()["items"] == []
    assert len(client.get("/v1/extractions", params={"collection": "c"}).json()["items"]) == 5
    seen, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/extractions", params=params).json()
        seen += [item["id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(item["id"] for item in everything["items"])


def test_metrics_count_the_ledger(client: TestClient) -> None:
    text = client.get("/metrics").text
    assert 'greenhouse_documents{status="done"} 1' in text
    assert 'greenhouse_jobs{state="succeeded",tier="local"} 5' in text
    assert 'greenhouse_model_tokens_total{tier="local",direction="in"} 50' in text
