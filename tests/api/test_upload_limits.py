"""Uploads over a real socket: the size limit holds while the body streams, and a refused or
failed upload leaves no blob and no document behind."""

import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from api.upload_stream import FILENAME_MAX_LENGTH
from schemas.settings import Settings
from tests.support.live_api import DiskPeak, live_api

LIMIT = 1024 * 1024
STREAMED_BYTES = 50 * 1024 * 1024
PIECE = b"%PDF-" + b"x" * (64 * 1024 - 5)
PEAK_DISK_ALLOWED = 2 * 1024 * 1024
BOUNDARY = "greenhouse-test-boundary"


class RecordingDispatcher:
    def __init__(self) -> None:
        self.dispatched: list[str] = []

    def dispatch_document(self, document_id: str) -> None:
        self.dispatched.append(document_id)


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary folder, moved where the test can watch it."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def blob_root(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
def dispatcher() -> RecordingDispatcher:
    return RecordingDispatcher()


@pytest.fixture
def base_url(
    any_engine: Engine, blob_root: Path, system_tmp: Path, dispatcher: RecordingDispatcher
) -> Iterator[str]:
    del system_tmp
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(blob_root),
        max_upload_bytes=LIMIT,
    )
    with live_api(create_app(settings, dispatcher)) as url:
        yield url


def _multipart_stream(content_bytes: int, filename: str = "big.pdf") -> Iterator[bytes]:
    """A multipart body with a `file` part of `content_bytes`, produced piece by piece (sent
    chunked: no Content-Length)."""
    yield (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="collection"\r\n\r\nbig\r\n'
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    sent = 0
    while sent < content_bytes:
        piece = PIECE[: content_bytes - sent]
        sent += len(piece)
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def _post_stream(base_url: str, body: Iterator[bytes]) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/documents",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=120,
    )


def _post_file(base_url: str, content: bytes, filename: str, **fields: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/documents",
        files={"file": (filename, content, "application/pdf")},
        data=fields,
        timeout=60,
    )


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def _document_ids(base_url: str) -> list[str]:
    return [item["id"] for item in httpx.get(f"{base_url}/v1/documents").json()["items"]]


def test_a_chunked_upload_past_the_limit_stops_at_the_limit(
    base_url: str, blob_root: Path, system_tmp: Path
) -> None:
    blob_root.mkdir(parents=True, exist_ok=True)
    pieces_sent = 0

    def counted() -> Iterator[bytes]:
        nonlocal pieces_sent
        for piece in _multipart_stream(STREAMED_BYTES):
            pieces_sent += 1
            yield piece

    with DiskPeak(blob_root, system_tmp) as disk:
        response = _post_stream(base_url, counted())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert response.headers["connection"] == "close"
    assert pieces_sent * len(PIECE) < STREAMED_BYTES / 2  # the client stopped sending
    assert disk.peak <= PEAK_DISK_ALLOWED
    assert _files(blob_root) == []
    assert _files(system_tmp) == []
    assert _document_ids(base_url) == []


def test_a_file_of_exactly_the_limit_is_accepted_one_byte_more_is_not(
    base_url: str, blob_root: Path, dispatcher: RecordingDispatcher
) -> None:
    accepted = _post_stream(base_url, _multipart_stream(LIMIT))
    assert accepted.status_code == 202
    body = accepted.json()
    assert (body["size_bytes"], body["collection"], body["filename"]) == (LIMIT, "big", "big.pdf")
    assert dispatcher.dispatched == [body["id"]]
    refused = _post_stream(base_url, _multipart_stream(LIMIT + 1))
    assert refused.status_code == 413
    assert [path.name for path in _files(blob_root)] == [body["sha256"]]
    assert _document_ids(base_url) == [body["id"]]


def test_a_filename_longer_than_a_document_keeps_is_422_with_nothing_stored(
    base_url: str, blob_root: Path
) -> None:
    too_long = "n" * (FILENAME_MAX_LENGTH - 3) + "x.pdf"
    response = _post_file(base_url, b"%PDF-long name", too_long)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert _files(blob_root) == []
    assert _document_ids(base_url) == []
    longest = "n" * (FILENAME_MAX_LENGTH - 4) + ".pdf"
    accepted = _post_file(base_url, b"%PDF-long name", longest)
    assert accepted.status_code == 202
    assert accepted.json()["filename"] == longest


def test_uploads_refused_after_streaming_leave_no_blob_but_keep_a_shared_one(
    base_url: str, blob_root: Path
) -> None:
    unknown_schema = _post_file(base_url, b"%PDF-one", "one.pdf", schema="nope")
    assert unknown_schema.status_code == 422
    assert unknown_schema.json()["error"]["code"] == "unknown_schema"
    bad_budget = _post_file(base_url, b"%PDF-one", "one.pdf", budget="300")
    assert bad_budget.status_code == 422
    assert _files(blob_root) == []
    kept = _post_file(base_url, b"%PDF-shared", "shared.pdf")
    assert kept.status_code == 202
    again_refused = _post_file(base_url, b"%PDF-shared", "shared.pdf", tier="gpu")
    assert again_refused.status_code == 422
    assert [path.name for path in _files(blob_root)] == [kept.json()["sha256"]]
    assert _document_ids(base_url) == [kept.json()["id"]]


def test_malformed_multipart_bodies_are_422_with_nothing_stored(
    base_url: str, blob_root: Path
) -> None:
    truncated = list(_multipart_stream(1000))[:-1]
    no_file = [f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="tier"\r\n\r\n'.encode()]
    no_file.append(f"local\r\n--{BOUNDARY}--\r\n".encode())
    for body, message in [
        (truncated, "ended before its closing boundary"),
        (no_file, "has no 'file' part"),
    ]:
        response = _post_stream(base_url, iter(body))
        assert response.status_code == 422
        assert message in response.json()["error"]["message"]
    not_multipart = httpx.post(f"{base_url}/v1/documents", content=b"%PDF-", timeout=30)
    assert not_multipart.status_code == 422
    assert _files(blob_root) == []
    assert _document_ids(base_url) == []


def test_text_the_ledger_cannot_store_is_422_with_nothing_stored(
    base_url: str, blob_root: Path
) -> None:
    nul_collection = _post_file(base_url, b"%PDF-nul", "a.pdf", collection="in\x00valid")
    nul_filename = _post_stream(base_url, _multipart_stream(100, filename="a\x00.pdf"))
    assert nul_collection.status_code == nul_filename.status_code == 422
    assert nul_collection.json()["error"]["message"] == (
        "the form field 'collection' contains a NUL character"
    )
    assert nul_filename.json()["error"]["message"] == "the filename contains a NUL character"
    assert _files(blob_root) == []
    assert _document_ids(base_url) == []
