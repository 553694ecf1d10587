"""Reprocessing on the distributed path: the API sends the re-run jobs to real Celery workers."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from schemas.settings import Settings
from tests.e2e.test_schema_results import INVOICE_V1, INVOICE_V2, MIXED
from tests.fakes.fake_vllm import MOE_MODEL, running_fake_vllm
from tests.fakes.invoice_reader import read_invoice
from tests.support.api import document_result, wait_until_finished
from tests.support.invoices import make_invoice_pdf
from tests.support.workers import celery_worker

WAIT_SECONDS = 180


@pytest.fixture
def fake_url() -> Iterator[str]:
    with running_fake_vllm() as fake:
        fake.control.schema_answerer = read_invoice
        yield fake.base_url


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path, fake_url: str) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        vllm_url=fake_url,
        vllm_model=MOE_MODEL,
    )


def test_reprocess_runs_on_the_workers_and_keeps_history(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    for schema in (INVOICE_V1, INVOICE_V2):
        registered = api.post("/v1/schemas", json={"name": "invoice", "json_schema": schema})
        assert registered.status_code == 201, registered.text
    pdf = tmp_path / "mixed.pdf"
    make_invoice_pdf(pdf, "INV-2024-0077", MIXED)
    with celery_worker(settings, tmp_path, queues="ingest,local,vlm", concurrency=2):
        with pdf.open("rb") as stream:
            response = api.post(
                "/v1/documents",
                files={"file": (pdf.name, stream)},
                data={"schema": "invoice"},
            )
        assert response.status_code == 202, response.text
        document_id = response.json()["id"]
        assert wait_until_finished(api, document_id, WAIT_SECONDS)["status"] == "done"
        first = document_result(api, document_id)
        # Ingested after version 2 was registered: version 2's rule takes the first currency.
        assert first["data"]["schema"] == {"name": "invoice", "version": 2}
        assert first["data"]["fields"]["currency"] == "EUR"

        queued = api.post(f"/v1/documents/{document_id}/reprocess", json={"schema_version": 1})
        assert queued.status_code == 202, queued.text
        assert wait_until_finished(api, document_id, WAIT_SECONDS)["status"] == "done"
        second = document_result(api, document_id)
    assert second["generation"] == 2
    assert second["data"]["schema"] == {"name": "invoice", "version": 1}
    assert second["data"]["fields"]["currency"] is None
    assert [c["path"] for c in second["data"]["conflicts"]] == ["/currency"]
    history = api.get(f"/v1/documents/{document_id}/results/history").json()["items"]
    assert [(h["generation"], h["schema_version"]) for h in history] == [(1, 2)]
    assert history[0]["data"] == first["data"]
    for version, expected in ((1, [document_id]), (2, [])):
        params = {"schema": "invoice", "schema_version": version}
        rows = api.get("/v1/results", params=params).json()["items"]
        assert [row["document_id"] for row in rows] == expected
        pages = api.get("/v1/extractions", params=params).json()["items"]
        assert {page["document_id"] for page in pages} == set(expected)
