"""Office files asked on the MoE tier through `greenhouse ingest` (embedded): with LibreOffice
(a fake `soffice` that prints known text on real PDF pages) their pages go to the model, read
from the converted PDF next to the blob; without it they are read by structure, and say why."""

from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.planning.office_pages import NO_LIBREOFFICE_NOTE
from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.models import Document, Extraction, Job
from tests.fakes.fake_vllm import MOE_MODEL, Fault, running_fake_vllm
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.fake_soffice import install_fake_soffice, page_text
from tests.support.office_files import make_docx, make_pptx


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "office"
    folder.mkdir()
    make_docx(folder / "guide.docx")
    make_pptx(folder / "deck.pptx")
    return folder


def _jobs(settings: Settings, name: str) -> list[tuple[Job, Extraction]]:
    sessions = make_session_factory(make_engine(settings.database_url))
    with transaction(sessions) as session:
        rows = session.execute(
            select(Job, Extraction)
            .join(Extraction, Extraction.job_id == Job.id)
            .join(Document, Document.id == Job.document_id)
            .where(Document.filename == name)
            .order_by(Job.seq)
        )
        return [(job, extraction) for job, extraction in rows]


def test_with_libreoffice_office_pages_go_to_the_model_from_the_converted_pdf(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = install_fake_soffice(tmp_path, monkeypatch)
    folder = _folder(tmp_path)
    with running_fake_vllm() as fake:
        settings = sqlite_settings.model_copy(
            update={"vllm_url": fake.base_url, "vllm_model": MOE_MODEL}
        )
        result = ingest_cli(settings, str(folder), "--tier", "moe", "--json")
        images = [image for request in fake.control.requests for image in request.images]
    assert result.returncode == 0, result.stderr
    reports = reports_by_name(result.stdout)
    assert {name: r["status"] for name, r in reports.items()} == {
        "guide.docx": "done",
        "deck.pptx": "done",
    }
    assert len(log.read_text().splitlines()) == 2  # one conversion per document
    guide = _jobs(settings, "guide.docx")
    deck = _jobs(settings, "deck.pptx")
    # 14 pt text: legible at 280 on a Letter page, at 140 on a wider slide (its em is larger)
    assert [(j.kind, j.tier, j.budget) for j, _ in guide] == [("pdf_page", "moe", 280)]
    assert [(j.kind, j.tier, j.budget) for j, _ in deck] == [("pdf_page", "moe", 140)] * 3
    for job, extraction in guide + deck:
        assert job.chunk["converted_by"] == "libreoffice"
        assert extraction.engine == f"vllm:{MOE_MODEL}"
        assert extraction.provenance["converted_by"] == "libreoffice"
    # the model saw the converted pages: a portrait Letter page, then three landscape slides
    (page,) = (e.data["page"] for _, e in guide)
    assert (page["width"], page["height"]) == (612, 792)
    assert [(e.data["page"]["width"], e.data["page"]["height"]) for _, e in deck] == [
        (720, 540)
    ] * 3
    assert sorted(image.width > image.height for image in images) == [False, True, True, True]
    assert len(list(Path(settings.blob_root).rglob("*.converted.pdf"))) == 2


def test_a_page_the_model_fails_falls_back_to_the_converted_pdfs_text(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_fake_soffice(tmp_path, monkeypatch)
    deck = make_pptx(tmp_path / "deck.pptx")
    with running_fake_vllm() as fake:
        settings = sqlite_settings.model_copy(
            update={"vllm_url": fake.base_url, "vllm_model": MOE_MODEL}
        )
        fake.control.inject(Fault.INVALID_JSON, times=100)
        result = ingest_cli(settings, str(deck), "--tier", "moe", "--json")
    assert result.returncode == 0, result.stderr
    jobs = _jobs(settings, "deck.pptx")
    assert [job.fell_back for job, _ in jobs] == [True] * 3
    assert [e.data["text"] for _, e in jobs] == [page_text(n, "input.pptx") for n in (1, 2, 3)]


def test_without_libreoffice_moe_reads_office_files_by_structure_and_says_why(
    sqlite_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    deck = make_pptx(tmp_path / "deck.pptx")
    result = ingest_cli(sqlite_settings, str(deck), "--tier", "moe", "--json")
    # the deck's picture waits for the MoE tier, which is not configured here
    assert reports_by_name(result.stdout)["deck.pptx"]["jobs"]["waiting"] == 1, result.stderr
    jobs = _jobs(sqlite_settings, "deck.pptx")
    slides = [(job, e) for job, e in jobs if job.kind == "slide"]
    assert [(job.tier, job.budget) for job, _ in slides] == [("local", None)] * 3
    for job, extraction in slides:
        assert job.chunk["note"] == NO_LIBREOFFICE_NOTE
        assert extraction.provenance["note"] == NO_LIBREOFFICE_NOTE
