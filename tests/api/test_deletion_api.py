"""Deleting documents and downloading their original file over the API."""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.content_disposition import attachment
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.ledger import ExtractionRecord, claim_job, complete_job
from storage.queries import jobs_of_document


class RecordingDispatcher:
    def __init__(self) -> None:
        self.dispatched: list[str] = []

    def dispatch_document(self, document_id: str) -> None:
        self.dispatched.append(document_id)


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


@pytest.fixture
def client(any_engine: Engine, blobs: BlobStore) -> Iterator[TestClient]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(blobs.root),
    )
    with TestClient(create_app(settings, RecordingDispatcher())) as test_client:
        yield test_client


def _upload(
    client: TestClient, content: bytes, filename: str = "a.pdf", collection: str = "c"
) -> dict[str, Any]:
    response = client.post(
        "/v1/documents",
        files={"file": (filename, io.BytesIO(content), "application/pdf")},
        data={"collection": collection},
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def test_delete_removes_the_document_its_work_and_its_file(
    client: TestClient, blobs: BlobStore, any_engine: Engine
) -> None:
    document = _upload(client, b"%PDF-delete me")
    sessions = make_session_factory(any_engine)
    from tests.integration.ledger_helpers import document_with_jobs

    other_id, job_ids = document_with_jobs(sessions, blobs, 2, content=b"%PDF-with jobs")
    with transaction(sessions) as session:
        assert claim_job(session, job_ids[0], "w", 60)
        record = ExtractionRecord(kind="page_content", data={}, provenance={})
        assert complete_job(session, job_ids[0], "w", record)
    for document_id in (document["id"], other_id):
        response = client.delete(f"/v1/documents/{document_id}")
        assert response.status_code == 204
        assert response.content == b""
        assert client.get(f"/v1/documents/{document_id}").status_code == 404
        assert client.delete(f"/v1/documents/{document_id}").status_code == 404
    with transaction(sessions) as session:
        assert jobs_of_document(session, other_id, after_seq=-1, limit=10) == []
    assert not blobs.exists(document["sha256"])
    assert sorted(p for p in blobs.root.rglob("*") if p.is_file()) == []


def test_delete_keeps_a_file_another_document_shares(client: TestClient, blobs: BlobStore) -> None:
    first = _upload(client, b"%PDF-shared", collection="a")
    second = _upload(client, b"%PDF-shared", collection="b")
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert client.delete(f"/v1/documents/{first['id']}").status_code == 204
    assert blobs.exists(first["sha256"])
    assert client.get(f"/v1/documents/{second['id']}/file").content == b"%PDF-shared"
    assert client.delete(f"/v1/documents/{second['id']}").status_code == 204
    assert not blobs.exists(first["sha256"])


def test_deleting_a_collection_removes_only_its_documents(client: TestClient) -> None:
    for index in range(3):
        _upload(client, f"%PDF-a{index}".encode(), collection="a")
    kept = _upload(client, b"%PDF-a0", collection="b")
    response = client.delete("/v1/collections/a/documents")
    assert response.status_code == 200
    assert response.json() == {"collection": "a", "documents_deleted": 3, "blobs_removed": 2}
    listed = client.get("/v1/documents").json()["items"]
    assert [item["id"] for item in listed] == [kept["id"]]
    empty = client.delete("/v1/collections/a/documents").json()
    assert empty == {"collection": "a", "documents_deleted": 0, "blobs_removed": 0}


def test_the_file_download_returns_the_uploaded_bytes(client: TestClient) -> None:
    content = b"%PDF-1.7\n" + bytes(range(256)) * 40
    document = _upload(client, content, filename="Résumé final.pdf")
    assert document["filename"] == "Résumé final.pdf"
    response = client.get(f"/v1/documents/{document['id']}/file")
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == (
        "attachment; filename=\"R_sum_ final.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20final.pdf"
    )
    plain = _upload(client, b"%PDF-plain", filename="report 2024.pdf")
    headers = client.get(f"/v1/documents/{plain['id']}/file").headers
    assert headers["content-disposition"] == 'attachment; filename="report 2024.pdf"'
    assert client.get("/v1/documents/nope/file").status_code == 404


def test_filenames_cannot_break_out_of_the_content_disposition_header() -> None:
    assert attachment('a"b\\c/d\r\nSet-Cookie: x.pdf', fallback="id") == (
        'attachment; filename="a_b_c_d__Set-Cookie: x.pdf"; '
        "filename*=UTF-8''a%22b%5Cc%2Fd%0D%0ASet-Cookie%3A%20x.pdf"
    )
    assert attachment(None, fallback="doc-id") == 'attachment; filename="doc-id"'
