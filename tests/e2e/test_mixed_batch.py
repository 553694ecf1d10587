"""A mixed batch on every tier: real workers on Redis and Postgres, the fake vLLM servers."""

import time
from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from tests.fakes.fake_vllm import EDGE_MODEL, MOE_MODEL, running_fake_vllm
from tests.fakes.vllm_requests import FakeVllmConfig
from tests.support.api import document_result
from tests.support.documents import make_text_pdf
from tests.support.media import SPEECH_CLIP, make_slides_video
from tests.support.workers import celery_worker

WAIT_SECONDS = 240
VISUAL_BUDGETS_BY_KIND = {"pdf_page": 140, "image": 280, "video_frame": 70}
"""The legibility policy's decisions here: the scan's 18 pt line (x-height about 10 pt on A4)
reaches 7 px at 140, not at 70; the blank 800x600 picture has no text (a photo: 280); the
keyframe's 30 pt title (x-height about 16 px of 640x360) reaches 7 px at 70."""


def _scanned_pdf(path: Path) -> None:
    source = pymupdf.open()
    source.new_page().insert_text((72, 100), "A scanned greenhouse ledger", fontsize=18)
    pixmap = source[0].get_pixmap(dpi=100)
    scan = pymupdf.open()
    page = scan.new_page()
    page.insert_image(page.rect, pixmap=pixmap)
    scan.save(path)


@pytest.fixture
def fakes() -> Iterator[tuple[str, str]]:
    with running_fake_vllm() as moe, running_fake_vllm(FakeVllmConfig.edge()) as edge:
        yield moe.base_url, edge.base_url


@pytest.fixture
def settings(
    postgres_engine: Engine, broker_url: str, tmp_path: Path, fakes: tuple[str, str]
) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        vllm_url=fakes[0],
        vllm_model=MOE_MODEL,
        edge_url=fakes[1],
        edge_model=EDGE_MODEL,
    )


def test_mixed_batch_routes_every_job_to_its_tier(settings: Settings, tmp_path: Path) -> None:
    files = {
        "native.pdf": tmp_path / "native.pdf",
        "scanned.pdf": tmp_path / "scanned.pdf",
        "photo.png": tmp_path / "photo.png",
        "clip.mp4": tmp_path / "clip.mp4",
        "speech.ogg": SPEECH_CLIP,
    }
    make_text_pdf(files["native.pdf"], 2)
    _scanned_pdf(files["scanned.pdf"])
    Image.new("RGB", (800, 600), "white").save(files["photo.png"])
    make_slides_video(files["clip.mp4"], ["Harvest planning 2026"])
    expected_tiers = {
        "native.pdf": {("pdf_page", "local")},
        "scanned.pdf": {("pdf_page", "moe")},
        "photo.png": {("image", "moe")},
        "clip.mp4": {("video_frame", "moe"), ("speech_segment", "edge")},
        "speech.ogg": {("speech_segment", "edge")},
    }
    with (
        TestClient(create_app(settings)) as api,
        celery_worker(settings, tmp_path, queues="ingest,local", concurrency=1),
        celery_worker(settings, tmp_path, queues="vlm,asr", concurrency=16, pool="threads"),
    ):
        ids = {}
        for name, path in files.items():
            with path.open("rb") as stream:
                response = api.post("/v1/documents", files={"file": (name, stream)})
            assert response.status_code == 202, response.text
            ids[name] = response.json()["id"]
        deadline = time.monotonic() + WAIT_SECONDS
        for document_id in ids.values():
            while api.get(f"/v1/documents/{document_id}").json()["status"] in (
                "queued",
                "processing",
            ):
                assert time.monotonic() < deadline
                time.sleep(0.5)
        for name, document_id in ids.items():
            document = api.get(f"/v1/documents/{document_id}").json()
            assert document["status"] == "done", (name, document)
            jobs = api.get(f"/v1/documents/{document_id}/jobs").json()
            assert {(job["kind"], job["tier"]) for job in jobs} == expected_tiers[name], name
            for job in jobs:
                if job["tier"] == "local":
                    assert job["tokens_in"] is None
                    continue
                assert job["tokens_in"] > 0 and job["tokens_out"] > 0, (name, job)
                assert job["model"] in (MOE_MODEL, EDGE_MODEL)
                assert job["fell_back"] is False
                assert len(job["model_calls"]["attempts"]) >= 1
                if job["kind"] != "speech_segment":
                    assert job["budget"] == VISUAL_BUDGETS_BY_KIND[job["kind"]], (name, job)
            assert document_result(api, document_id)["kind"]
