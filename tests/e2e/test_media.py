"""Scans, images, audio and video end to end: distributed for audio and video, embedded for
the awkward inputs."""

import re
import struct
import time
import wave
import zlib
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine

from schemas.settings import Settings
from tests.support.api import document_result
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.media import SPEECH_CLIP, SPEECH_WORDS, make_slides_video
from tests.support.workers import celery_worker

SLIDES = ["Harvest planning 2026", "Irrigation schedule", "Quarterly revenue"]
WAIT_SECONDS = 240


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _recall(expected: list[str], text: str) -> float:
    found = _words(text)
    return sum(word in found for word in expected) / len(expected)


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
    )


def _upload_and_wait(api: TestClient, paths: list[Path]) -> list[str]:
    ids = []
    for path in paths:
        with path.open("rb") as stream:
            response = api.post("/v1/documents", files={"file": (path.name, stream)})
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    deadline = time.monotonic() + WAIT_SECONDS
    for document_id in ids:
        while api.get(f"/v1/documents/{document_id}").json()["status"] in ("queued", "processing"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
    return ids


def test_audio_and_video_on_the_distributed_path(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    video = make_slides_video(tmp_path / "slides.mp4", SLIDES)
    with celery_worker(settings, tmp_path, queues="ingest,local,asr", concurrency=2):
        audio_id, video_id = _upload_and_wait(api, [SPEECH_CLIP, video])

    audio = api.get(f"/v1/documents/{audio_id}").json()
    assert audio["status"] == "done", audio
    assert audio["media_type"] == "audio/ogg"
    transcript = document_result(api, audio_id)
    assert transcript["kind"] == "transcript"
    assert _recall(SPEECH_WORDS, transcript["data"]["text"]) >= 0.85
    segments = transcript["data"]["segments"]
    assert segments and all(0 <= s["start"] < s["end"] <= 11.5 for s in segments)

    document = api.get(f"/v1/documents/{video_id}").json()
    assert document["status"] == "done", document
    jobs = api.get(f"/v1/documents/{video_id}/jobs").json()
    assert {job["kind"] for job in jobs} == {"video_frame", "speech_segment"}
    assert {job["tier"] for job in jobs} == {"local"}
    timeline = document_result(api, video_id)
    assert timeline["kind"] == "video_timeline"
    items = timeline["data"]["items"]
    starts = [item.get("timestamp", item.get("start")) for item in items]
    assert starts == sorted(starts)
    frame_text = " ".join(item["text"] for item in items if "timestamp" in item)
    slide_words = sorted(_words(" ".join(SLIDES[:2])))  # the third falls in the cool-down
    assert _recall(slide_words, frame_text) >= 0.8
    speech_text = " ".join(item["text"] for item in items if "timestamp" not in item)
    assert _recall(SPEECH_WORDS, speech_text) >= 0.85


def _ingest(settings: Settings, folder: Path) -> dict[str, dict]:
    result = ingest_cli(settings, str(folder), "--json", timeout=600)
    reports = reports_by_name(result.stdout)
    assert reports, result.stderr
    return reports


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims a size; the pixel data is a token (never decoded)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = b"IDAT" + zlib.compress(b"\x00")
    idat = struct.pack(">I", 1) + data + struct.pack(">I", zlib.crc32(data))
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat + b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _text_image(text: str) -> Image.Image:
    document = pymupdf.open()
    page = document.new_page(width=420, height=120)
    page.insert_text((20, 70), text, fontsize=24)
    pixmap = page.get_pixmap(dpi=150)
    return Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)


def test_awkward_media_fail_alone_or_succeed_on_the_embedded_tier(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    good_video = make_slides_video(tmp_path / "clip.mp4", SLIDES[:1], with_speech=False)
    (folder / "truncated.mp4").write_bytes(
        good_video.read_bytes()[: good_video.stat().st_size // 3]
    )
    (folder / "corrupt.wav").write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x07" * 300)
    (folder / "zero.png").write_bytes(_png_header(0, 0))
    (folder / "bomb.png").write_bytes(_png_header(30_000, 30_000))
    with wave.open(str(folder / "silence.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\x00\x00" * 16_000 * 2)
    frames = [_text_image("Greenhouse tomato ledger"), _text_image("Cucumber irrigation plan")]
    frames[0].save(folder / "pages.tiff", save_all=True, append_images=frames[1:])
    _text_image("Seedling invoice total").rotate(90, expand=True).save(folder / "sideways.jpg")

    reports = _ingest(sqlite_settings, folder)

    expected_failures = {
        "truncated.mp4": "corrupt_file",
        "corrupt.wav": "corrupt_file",
        "zero.png": "corrupt_file",
        "bomb.png": "too_large",
    }
    for name, category in expected_failures.items():
        assert reports[name]["status"] == "failed", (name, reports[name])
        assert reports[name]["error"]["category"] == category, (name, reports[name])
    assert reports["silence.wav"]["status"] == "done"
    assert reports["silence.wav"]["jobs"]["total"] == 0
    assert reports["pages.tiff"]["status"] == "done"
    assert reports["pages.tiff"]["jobs"]["succeeded"] == 2
    assert reports["sideways.jpg"]["status"] == "done"
