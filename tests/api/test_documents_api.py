"""The REST API on a real database; dispatch is recorded instead of sent to a broker."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from storage.migrate import PendingMigrationsError
from tests.support.documents import make_text_pdf


class RecordingDispatcher:
    """Test double for the broker link: remembers what would have been enqueued."""

    def __init__(self) -> None:
        self.dispatched: list[str] = []

    def dispatch_document(self, document_id: str) -> None:
        self.dispatched.append(document_id)


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
def client(
    any_engine: Engine, tmp_path: Path, dispatcher: RecordingDispatcher
) -> Iterator[TestClient]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        max_upload_bytes=200_000,
    )
    with TestClient(create_app(settings, dispatcher)) as test_client:
        yield test_client


@pytest.fixture
def pdf_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "upload.pdf"
    make_text_pdf(path, 2)
    return path.read_bytes()


def _upload(client: TestClient, content: bytes, **fields: str):
    return client.post(
        "/v1/documents",
        files={"file": ("upload.pdf", io.BytesIO(content), "application/pdf")},
        data=fields,
    )


def test_upload_is_accepted_stored_and_dispatched(
    client: TestClient, pdf_bytes: bytes, dispatcher: RecordingDispatcher
) -> None:
    response = _upload(client, pdf_bytes, collection="invoices", tier="local", budget="280")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued"
    assert body["collection"] == "invoices"
    assert body["options"] == {"tier": "local", "budget": 280}
    assert body["size_bytes"] == len(pdf_bytes)
    assert dispatcher.dispatched == [body["id"]]
    shown = client.get(f"/v1/documents/{body['id']}").json()
    assert shown["id"] == body["id"] and shown["jobs"]["total"] == 0


def test_duplicate_upload_returns_the_existing_document(
    client: TestClient, pdf_bytes: bytes, dispatcher: RecordingDispatcher
) -> None:
    first = _upload(client, pdf_bytes).json()
    again = _upload(client, pdf_bytes)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert dispatcher.dispatched == [first["id"]]


def test_upload_over_the_limit_is_413_with_the_error_shape(client: TestClient) -> None:
    response = _upload(client, b"%PDF-" + b"0" * 300_000)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_bad_options_are_422(client: TestClient, pdf_bytes: bytes) -> None:
    assert _upload(client, pdf_bytes, budget="300").status_code == 422
    response = _upload(client, pdf_bytes, tier="gpu")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_unknown_ids_are_404_with_the_error_shape(client: TestClient) -> None:
    for path in (
        "/v1/documents/nope",
        "/v1/documents/nope/jobs",
        "/v1/documents/nope/extractions",
        "/v1/jobs/nope",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_listing_filters_and_cursor_pagination(client: TestClient) -> None:
    ids = {_upload(client, f"%PDF-{i}".encode(), collection="a").json()["id"] for i in range(5)}
    _upload(client, b"%PDF-other", collection="b")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"collection": "a", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/documents", params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert set(seen) == ids and len(seen) == 5
    assert client.get("/v1/documents", params={"status": "done"}).json()["items"] == []
    assert client.get("/v1/documents", params={"cursor": "garbage!"}).status_code == 400


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}


def test_readiness_reports_an_unreachable_broker(sqlite_engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        database_url=sqlite_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        broker_url="redis://127.0.0.1:1/0",
    )
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")


def test_the_api_refuses_a_database_with_pending_migrations(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'new.db'}", blob_root=str(tmp_path))
    with pytest.raises(PendingMigrationsError, match="greenhouse db upgrade"):
        create_app(settings, RecordingDispatcher())
    migrated = Settings(
        database_url=settings.database_url, blob_root=str(tmp_path), auto_migrate=True
    )
    create_app(migrated, RecordingDispatcher())


def test_result_of_an_unfinished_document_is_409(client: TestClient, pdf_bytes: bytes) -> None:
    document_id = _upload(client, pdf_bytes).json()["id"]
    response = client.get(f"/v1/documents/{document_id}/result")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_finished"
    assert client.get("/v1/documents/nope/result").status_code == 404
