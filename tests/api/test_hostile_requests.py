"""Hostile requests get a 4xx in the error shape with a request id, never a 500, on PostgreSQL
and SQLite: NUL bytes in queries, ids and form fields, oversized numbers, crafted cursors,
oversized bodies; plus the catch-all 500 and the 405's Allow header."""

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.middleware import JSON_BODY_MAX_BYTES
from schemas.settings import Settings
from tests.api.test_documents_api import RecordingDispatcher


@pytest.fixture
def app(any_engine: Engine, tmp_path: Path) -> FastAPI:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        max_upload_bytes=200_000,
    )
    return create_app(settings, RecordingDispatcher())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def assert_error(response, status: int, code: str) -> dict:
    """The response is `status` in the error shape, and its request id is the header's."""
    assert response.status_code == status, response.text
    error: dict = response.json()["error"]
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    return error


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def upload(client: TestClient, filename: str = "doc.pdf", **fields: str):
    files = {"file": (filename, io.BytesIO(b"%PDF-1.4 stand-in"), "application/pdf")}
    return client.post("/v1/documents", files=files, data=fields)


@pytest.mark.parametrize(
    "url",
    [
        "/v1/documents?collection=a%00b",
        "/v1/documents?status=queued&cursor=%00",
        "/v1/extractions?schema=x%00",
        "/v1/extractions?engine=%00&kind=k",
        "/v1/documents/abc%00def",
        "/v1/documents/abc%00/jobs",
        "/v1/jobs/%00",
        "/v1/schemas/invoice%00",
    ],
)
def test_a_nul_byte_in_a_query_value_or_an_id_is_a_422(client: TestClient, url: str) -> None:
    error = assert_error(client.get(url), 422, "invalid_request")
    assert "NUL" in error["detail"][0]["msg"]


@pytest.mark.parametrize(
    "fields",
    [{"collection": "in\x00voices"}, {"schema": "invoice\x00"}, {"tier": "local\x00"}],
)
def test_a_nul_byte_in_a_form_field_is_a_422(client: TestClient, fields: dict) -> None:
    assert_error(upload(client, **fields), 422, "invalid_request")
    assert client.get("/v1/documents").json()["items"] == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ('{"name": "k\\u0000", "scopes": ["read"], "collections": ["*"]}', ["body", "name"]),
        (
            '{"name": "k", "scopes": ["read"], "collections": ["a\\ud800"]}',
            ["body", "collections", "0"],
        ),
        ('{"name": "k", "scopes": ["read"], "collections": ["*"], "x": NaN}', ["body", "x"]),
    ],
)
def test_a_json_body_with_unstorable_values_is_a_422_on_any_route(
    client: TestClient, body: str, loc: list[str]
) -> None:
    response = client.post("/v1/keys", content=body, headers={"content-type": "application/json"})
    error = assert_error(response, 422, "invalid_request")
    assert [problem["loc"] for problem in error["detail"]] == [loc]
    assert client.get("/v1/keys").json() == []


def test_a_filename_over_1000_characters_is_a_422_and_nothing_is_stored(
    client: TestClient, app: FastAPI, tmp_path: Path
) -> None:
    assert_error(upload(client, filename="a" * 1001 + ".pdf"), 422, "invalid_request")
    assert client.get("/v1/documents").json()["items"] == []
    blobs = tmp_path / "blobs"
    assert not blobs.exists() or [p for p in blobs.rglob("*") if p.is_file()] == []
    assert upload(client, filename="a" * 996 + ".pdf").status_code == 202


def test_a_nul_byte_in_the_filename_is_a_422(client: TestClient) -> None:
    body = (
        b"--b0undary\r\n"
        b'Content-Disposition: form-data; name="file"; filename="doc\x00.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n"
        b"%PDF-1.4 stand-in\r\n"
        b"--b0undary--\r\n"
    )
    response = client.post(
        "/v1/documents",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b0undary"},
    )
    assert_error(response, 422, "invalid_request")
    assert client.get("/v1/documents").json()["items"] == []


@pytest.mark.parametrize("after_seq", [2**31, 2**63, 2**64, 10**30])
def test_after_seq_beyond_the_column_is_a_422(client: TestClient, after_seq: int) -> None:
    for listing in ("jobs", "extractions"):
        response = client.get(f"/v1/documents/some-id/{listing}?after_seq={after_seq}")
        error = assert_error(response, 422, "invalid_request")
        assert error["detail"][0]["loc"] == ["query", "after_seq"]


def test_the_largest_after_seq_reaches_the_route(client: TestClient) -> None:
    response = client.get(f"/v1/documents/some-id/jobs?after_seq={2**31 - 1}")
    assert_error(response, 404, "not_found")


CRAFTED_CURSORS = {
    "naive datetime": cursor_of(["2026-01-01T00:00:00", "id"]),
    "year 1 east of UTC": cursor_of(["0001-01-01T00:00:00+05:00", "id"]),
    "year 9999 west of UTC": cursor_of(["9999-12-31T23:59:59-05:00", "id"]),
    "nested JSON": base64.urlsafe_b64encode(b"[" * 300 + b"]" * 300).decode(),
    "overlong": cursor_of(["2026-01-01T00:00:00+00:00", "x" * 1000]),
    "NUL in the id": cursor_of(["2026-01-01T00:00:00+00:00", "a\x00b"]),
    "three items": cursor_of(["2026-01-01T00:00:00+00:00", "id", "extra"]),
    "numbers": cursor_of([1, 2]),
    "not base64": "!!!",
    "not JSON": base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
    "a name cursor": cursor_of({"after": "invoice"}),
}


@pytest.mark.parametrize("cursor", CRAFTED_CURSORS.values(), ids=CRAFTED_CURSORS.keys())
def test_crafted_cursors_are_a_400(client: TestClient, cursor: str) -> None:
    for listing in ("/v1/documents", "/v1/extractions"):
        response = client.get(listing, params={"cursor": cursor})
        assert_error(response, 400, "invalid_cursor")


@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of(["2026-01-01T00:00:00+00:00", "id"]),
        cursor_of({"after": "a\x00"}),
        cursor_of({"after": 7}),
        cursor_of({"after": "x", "more": 1}),
        "x" * 600,
    ],
)
def test_crafted_schema_cursors_are_a_400(client: TestClient, cursor: str) -> None:
    assert_error(client.get("/v1/schemas", params={"cursor": cursor}), 400, "invalid_cursor")


def test_an_aware_cursor_from_any_offset_pages_normally(client: TestClient) -> None:
    cursor = cursor_of(["2026-01-01T05:00:00+05:00", "id"])
    response = client.get("/v1/documents", params={"cursor": cursor})
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_a_json_body_over_the_cap_is_a_413_declared_or_streamed(client: TestClient) -> None:
    body = json.dumps({"name": "big", "json_schema": {"description": "x" * JSON_BODY_MAX_BYTES}})
    declared = client.post(
        "/v1/schemas", content=body, headers={"content-type": "application/json"}
    )
    assert_error(declared, 413, "too_large")

    def chunks() -> Iterator[bytes]:
        data = body.encode()
        for start in range(0, len(data), 65536):
            yield data[start : start + 65536]

    streamed = client.post(
        "/v1/schemas", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "too_large")
    assert client.get("/v1/schemas").json()["items"] == []


def test_a_body_nested_past_the_recursion_limit_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/v1/schemas", content="[" * 100_000, headers={"content-type": "application/json"}
    )
    assert_error(response, 400, "invalid_body")


def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b:c"})
    assert kept.status_code == 200
    assert kept.headers["x-request-id"] == "trace-42.a_b:c"
    for hostile in ("has space", "x" * 200, "a\tb"):
        replaced = client.get("/healthz", headers={"X-Request-ID": hostile})
        assert len(replaced.headers["x-request-id"]) == 32
        assert replaced.headers["x-request-id"] != hostile
    assert len(client.get("/v1/documents").headers["x-request-id"]) == 32


def test_an_unexpected_error_is_a_500_in_the_error_shape_logged_server_side(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/explode", explode)
    with (
        TestClient(app) as client,
        caplog.at_level(logging.ERROR, logger="greenhouse.api"),
    ):
        response = client.get("/explode", headers={"X-Request-ID": "req-1"})
    error = assert_error(response, 500, "internal_error")
    assert error["request_id"] == "req-1"
    assert "secret" not in response.text
    (record,) = [r for r in caplog.records if r.name == "greenhouse.api"]
    assert "req-1" in record.getMessage()
    assert record.exc_info is not None and "secret internal detail" in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("DELETE", "/v1/schemas", "GET, POST"),
        ("PUT", "/v1/jobs/x", "GET"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_a_405_names_every_allowed_method(
    client: TestClient, method: str, url: str, allowed: str
) -> None:
    response = client.request(method, url)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed


def test_an_unknown_path_is_a_404_in_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/v2/nothing"), 404, "not_found")
