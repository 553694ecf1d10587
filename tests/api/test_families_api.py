"""Families over the REST API: a container's children, a member's container and path, the
listing filters, deletion of a container with its members (the work done by the task bodies
in this process)."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from tests.support.families import pdf_bytes, png_bytes, zip_bytes
from workers.context import CollectingEnqueuer, build_context
from workers.embedded import EmbeddedExecutor


class RecordingDispatcher:
    """Remembers what would have been sent to the broker."""

    def __init__(self) -> None:
        self.dispatched: list[str] = []

    def dispatch_document(self, document_id: str) -> None:
        self.dispatched.append(document_id)


@pytest.fixture
def settings(any_engine: Engine, tmp_path: Path) -> Settings:
    return Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        auth="disabled",
        isolation="off",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, RecordingDispatcher())) as test_client:
        yield test_client


def _process(settings: Settings, document_id: str) -> None:
    context = build_context(settings, CollectingEnqueuer(documents=[document_id]))
    try:
        EmbeddedExecutor(context, processes=1).drain()
    finally:
        context.close()


def test_children_parent_and_filters(
    client: TestClient, settings: Settings, tmp_path: Path
) -> None:
    archive = zip_bytes(
        {"a/report.pdf": pdf_bytes(tmp_path), "../escape.txt": b"x", "b/pic.png": png_bytes()}
    )
    response = client.post("/v1/documents", files={"file": ("bundle.zip", io.BytesIO(archive))})
    assert response.status_code == 202, response.text
    archive_id = response.json()["id"]
    assert response.json()["children"] == []  # not expanded yet
    _process(settings, archive_id)
    shown = client.get(f"/v1/documents/{archive_id}").json()
    assert (shown["status"], shown["parent_id"], shown["member_path"], shown["depth"]) == (
        "partial",
        None,
        None,
        0,
    )
    children = [
        (c["position"], c["member_path"], c["filename"], c["status"], c["media_type"], c["error"])
        for c in shown["children"]
    ]
    assert children == [
        (0, "a/report.pdf", "report.pdf", "done", "application/pdf", None),
        (
            1,
            "../escape.txt",
            None,
            "failed",
            None,
            {
                "category": "corrupt_file",
                "message": "the member's path climbs out of the container; it was not extracted",
            },
        ),
        (2, "b/pic.png", "pic.png", "done", "image/png", None),
    ]
    assert shown["children"][1]["id"] is None
    report_id = shown["children"][0]["id"]
    member = client.get(f"/v1/documents/{report_id}").json()
    assert (member["parent_id"], member["member_path"], member["depth"], member["children"]) == (
        archive_id,
        "a/report.pdf",
        1,
        [],
    )
    listed = client.get("/v1/documents", params={"parent_id": archive_id}).json()["items"]
    assert sorted((d["member_path"], d["children"]) for d in listed) == [
        ("a/report.pdf", None),
        ("b/pic.png", None),
    ]
    top = client.get("/v1/documents", params={"top_level": "true"}).json()["items"]
    assert [d["id"] for d in top] == [archive_id]
    assert client.get("/v1/documents", params={"parent_id": "no-such"}).json()["items"] == []
    too_long = client.get("/v1/documents", params={"parent_id": "x" * 65})
    assert too_long.status_code == 422
    result = client.get(f"/v1/documents/{archive_id}/result").json()
    assert [(m["member_path"], m["status"]) for m in result["data"]["members"]] == [
        ("a/report.pdf", "done"),
        ("../escape.txt", "failed"),
        ("b/pic.png", "done"),
    ]
    assert client.delete(f"/v1/documents/{archive_id}").status_code == 204
    assert client.get(f"/v1/documents/{report_id}").status_code == 404
    assert client.get("/v1/documents").json()["items"] == []
