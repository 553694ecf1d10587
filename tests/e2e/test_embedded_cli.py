"""The embedded default end to end: `greenhouse ingest` on SQLite with no other service."""

from pathlib import Path

import pymupdf
from PIL import Image
from sqlalchemy import select

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.models import Extraction, Job
from storage.results import get_document_result
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.documents import (
    make_encrypted_pdf,
    make_text_pdf,
    make_truncated_pdf,
)


def test_folder_ingest_extracts_every_page(sqlite_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "nested").mkdir(parents=True)
    first = make_text_pdf(folder / "first.pdf", 6, table_on_page=2)
    second = make_text_pdf(folder / "nested" / "second.pdf", 3)
    result = ingest_cli(sqlite_settings, str(folder), "--json", "--collection", "books")
    assert result.returncode == 0, result.stderr
    reports = reports_by_name(result.stdout)
    assert set(reports) == {"first.pdf", "second.pdf"}
    assert reports["first.pdf"]["status"] == "done"
    assert reports["first.pdf"]["jobs"]["succeeded"] == 6
    assert reports["first.pdf"]["media_type"] == "application/pdf"
    assert reports["second.pdf"]["pages"] == 3

    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    with transaction(sessions) as session:
        rows = session.scalars(
            select(Extraction)
            .where(Extraction.document_id == reports["first.pdf"]["id"])
            .order_by(Extraction.seq)
        ).all()
        texts = [row.data["text"] for row in rows]
        (table_block,) = [b for b in rows[1].data["blocks"] if b["kind"] == "table"]
        table_cells = table_block["table"]["cells"]
    page_lines = [[line for line in text.splitlines() if line] for text in texts]
    assert page_lines[0] == first[0]
    assert page_lines[1][:3] == first[1]
    assert page_lines[1][3:] == [
        "Item\tQuantity\tPrice",
        "Tomato seeds\t12\t4.50",
        "Trellis net\t3\t19.90",
        "Compost\t40\t2.25",
    ]
    assert page_lines[2:] == first[2:]
    assert [c["text"] for c in table_cells if c["row"] == 1] == ["Tomato seeds", "12", "4.50"]
    assert second  # written


def test_reingesting_is_a_duplicate_and_done(sqlite_settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    make_text_pdf(path, 2)
    assert ingest_cli(sqlite_settings, str(path), "--json").returncode == 0
    again = ingest_cli(sqlite_settings, str(path), "--json")
    report = reports_by_name(again.stdout)["doc.pdf"]
    assert again.returncode == 0
    assert report["duplicate"] is True and report["status"] == "done"


def test_bad_inputs_fail_alone_with_clear_categories(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    make_text_pdf(folder / "good.pdf", 4)
    make_truncated_pdf(folder / "truncated.pdf")
    make_encrypted_pdf(folder / "encrypted.pdf")
    (folder / "empty.pdf").write_bytes(b"")
    Image.new("RGB", (20, 20), "white").save(folder / "picture.pdf", format="PNG")
    (folder / "noise.txt").write_bytes(bytes(range(256)) * 4)
    result = ingest_cli(sqlite_settings, str(folder), "--json")
    assert result.returncode == 1
    reports = reports_by_name(result.stdout)
    assert reports["good.pdf"]["status"] == "done"
    assert reports["good.pdf"]["jobs"]["succeeded"] == 4
    expected = {
        "truncated.pdf": "corrupt_file",
        "encrypted.pdf": "encrypted",
        "empty.pdf": "empty_file",
        "noise.txt": "unsupported_media",
    }
    for name, category in expected.items():
        assert reports[name]["status"] == "failed", name
        assert reports[name]["error"]["category"] == category, name
        assert reports[name]["error"]["message"], name
    # Content decides, not the name: a PNG called .pdf is processed as the image it is.
    assert reports["picture.pdf"]["media_type"] == "image/png"
    assert reports["picture.pdf"]["status"] == "done"


def test_a_broken_page_fails_alone(sqlite_settings: Settings, tmp_path: Path) -> None:
    document = pymupdf.open()
    for number in range(1, 11):
        # Mid-page: the same line at the top of every page would be a running header.
        document.new_page().insert_text((72, 400), f"Surviving text of page {number} " * 3)
    data = document.tobytes(garbage=3, deflate=True)
    path = tmp_path / "damaged.pdf"
    path.write_bytes(data[: int(len(data) * 0.6)])
    result = ingest_cli(sqlite_settings, str(path), "--json")
    report = reports_by_name(result.stdout)["damaged.pdf"]
    assert result.returncode == 1
    assert report["status"] == "partial"
    assert report["jobs"]["succeeded"] >= 1 and report["jobs"]["failed"] >= 1
    assert report["error"]["category"] == "partial_failure"
    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    with transaction(sessions) as session:
        assembled = get_document_result(session, report["id"])
        assert assembled is not None
        failed_pages = assembled.data["failed_pages"]
        texts = [page["text"] for page in assembled.data["pages"]]
    assert len(failed_pages) == report["jobs"]["failed"]
    assert "Surviving text of page 1" in (texts[0] or "")
    assert all(texts[number - 1] is None for number in failed_pages)


def test_missing_path_is_a_usage_error(sqlite_settings: Settings, tmp_path: Path) -> None:
    result = ingest_cli(sqlite_settings, str(tmp_path / "nope.pdf"))
    assert result.returncode == 2
    assert "no such file" in result.stderr


def test_a_model_tier_that_is_not_configured_parks_jobs_as_waiting(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "wants-moe.pdf"
    make_text_pdf(path, 2)
    result = ingest_cli(sqlite_settings, str(path), "--json", "--tier", "moe")
    report = reports_by_name(result.stdout)["wants-moe.pdf"]
    assert result.returncode == 1
    assert report["status"] == "processing"
    assert report["jobs"]["waiting"] == 2
    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    with transaction(sessions) as session:
        reasons = set(session.scalars(select(Job.waiting_reason)).all())
    assert reasons == {
        "tier 'moe' is not configured: set GREENHOUSE_VLLM_URL and GREENHOUSE_VLLM_MODEL"
    }
