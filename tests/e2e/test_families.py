"""Families through a real Celery worker, the API and PostgreSQL: an e-mail whose attachments
(a PDF, a ZIP holding a PDF and a picture) become member documents; a container that waits
for its members; a broken member that leaves its container partial, visible in the API."""

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from schemas.settings import Settings
from tests.support.api import document_result, wait_until_finished
from tests.support.documents import make_text_pdf
from tests.support.families import docx_bytes, eml_bytes, pdf_bytes, png_bytes, zip_bytes
from tests.support.workers import celery_worker

WAIT_SECONDS = 180
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=10,
        reaper_interval_seconds=1,
        broker_visibility_timeout=5,
        stale_queued_seconds=30,
    )


def _upload(api: TestClient, data: bytes, filename: str) -> str:
    response = api.post("/v1/documents", files={"file": (filename, data)})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _children(document: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [
        (child["member_path"], child["status"], (child["error"] or {}).get("category"))
        for child in document["children"]
    ]


def test_mail_family_through_the_worker(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    archive = zip_bytes(
        {
            "scans/notes.pdf": pdf_bytes(tmp_path, 2),
            "scans/handbook.docx": docx_bytes(),
            "scans/photo.png": png_bytes(),
        }
    )
    mail = eml_bytes(
        [
            ("report.pdf", "application/pdf", pdf_bytes(tmp_path, 1, "r.pdf")),
            ("files.zip", "application/zip", archive),
        ]
    )
    with celery_worker(settings, tmp_path, concurrency=2):
        mail_id = _upload(api, mail, "mail.eml")
        document = wait_until_finished(api, mail_id, WAIT_SECONDS)
    assert document["status"] == "done", document
    assert (document["media_type"], document["parent_id"], document["depth"]) == (
        "message/rfc822",
        None,
        0,
    )
    assert _children(document) == [("report.pdf", "done", None), ("files.zip", "done", None)]
    zip_id = document["children"][1]["id"]
    inner = api.get(f"/v1/documents/{zip_id}").json()
    assert (inner["parent_id"], inner["member_path"], inner["depth"]) == (mail_id, "files.zip", 1)
    assert [(c["member_path"], c["media_type"], c["status"]) for c in inner["children"]] == [
        ("scans/notes.pdf", "application/pdf", "done"),
        ("scans/handbook.docx", DOCX, "done"),
        ("scans/photo.png", "image/png", "done"),
    ]
    notes = api.get(f"/v1/documents/{inner['children'][0]['id']}").json()
    assert (notes["parent_id"], notes["member_path"], notes["page_count"]) == (
        zip_id,
        "scans/notes.pdf",
        2,
    )
    listed = api.get("/v1/documents", params={"parent_id": zip_id}).json()["items"]
    assert sorted(item["member_path"] for item in listed) == [
        "scans/handbook.docx",
        "scans/notes.pdf",
        "scans/photo.png",
    ]
    top = api.get("/v1/documents", params={"top_level": "true"}).json()["items"]
    assert [item["id"] for item in top] == [mail_id]
    result = document_result(api, mail_id)
    assert [(m["member_path"], m["document_id"]) for m in result["data"]["members"]] == [
        ("report.pdf", document["children"][0]["id"]),
        ("files.zip", zip_id),
    ]


def test_container_waits_for_its_members_and_a_broken_member_makes_it_partial(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    slow = tmp_path / "slow.pdf"
    make_text_pdf(slow, 30, table_on_every_page=True)
    archive = zip_bytes(
        {"slow.pdf": slow.read_bytes(), "broken.pdf": b"%PDF-1.7\nthis is not a PDF body\n"}
    )
    with celery_worker(settings, tmp_path, concurrency=2):
        archive_id = _upload(api, archive, "bundle.zip")
        seen_waiting = _container_seen_waiting(api, archive_id)
        document = wait_until_finished(api, archive_id, WAIT_SECONDS)
    assert seen_waiting, "the container should be processing while its member runs"
    assert document["status"] == "partial", document
    assert document["error"] == {
        "category": "partial_failure",
        "message": "1 of 2 members failed; see the members for their errors",
    }
    assert _children(document) == [
        ("slow.pdf", "done", None),
        ("broken.pdf", "failed", "corrupt_file"),
    ]
    slow_member = api.get(f"/v1/documents/{document['children'][0]['id']}").json()
    assert slow_member["finished_at"] <= document["finished_at"]
    assert slow_member["jobs"]["succeeded"] == 30


def _container_seen_waiting(api: TestClient, archive_id: str) -> bool:
    """True once the container was seen processing while a member had jobs still to run."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        container = api.get(f"/v1/documents/{archive_id}").json()
        if container["status"] in ("done", "partial", "failed"):
            return False
        for child in container["children"] or []:
            if child["member_path"] != "slow.pdf" or child["id"] is None:
                continue
            member = api.get(f"/v1/documents/{child['id']}").json()
            jobs = member["jobs"]
            if jobs["total"] and jobs["succeeded"] < jobs["total"]:
                again = api.get(f"/v1/documents/{archive_id}").json()
                return bool(again["status"] == "processing")
        time.sleep(0.1)
    return False
