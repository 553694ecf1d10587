"""Office files on the MoE tier: read as the pages of their LibreOffice PDF conversion when
`soffice` is installed (a fake one here), by their structure with a recorded reason when not."""

from pathlib import Path

import pytest

from pipeline.planning.office_pages import (
    NO_LIBREOFFICE_NOTE,
    PAGINATED_MEDIA,
    OfficeReading,
    choose_office_reading,
)
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType, Tier
from schemas.media import OFFICE_MEDIA
from storage.blobs import BlobStore
from tests.support.fake_soffice import install_fake_soffice
from tests.support.office_files import make_docx, make_pptx
from workers.blob_files import converted_pdf_path, job_file
from workers.isolation.messages import ChunkingError, PlanRequest
from workers.isolation.work import plan_document

MOE = RoutingRequest(tier="moe")
TIERS = ConfiguredTiers(moe=True)


def _request(path: Path, routing: RoutingRequest = MOE) -> PlanRequest:
    return PlanRequest(path, routing, None, TIERS, converted_pdf=path.with_suffix(".pdf"))


def test_the_reading_is_decided_by_format_tier_and_libreoffice() -> None:
    assert OFFICE_MEDIA - {MediaType.EPUB} == PAGINATED_MEDIA
    for media in PAGINATED_MEDIA:
        assert choose_office_reading(media, "moe", True) == OfficeReading(rendered=True)
        assert choose_office_reading(media, "moe", False) == OfficeReading(
            rendered=False, note=NO_LIBREOFFICE_NOTE
        )
        for tier in (None, "local", "edge"):
            assert choose_office_reading(media, tier, True) == OfficeReading(rendered=False)
    assert choose_office_reading(MediaType.EPUB, "moe", True) == OfficeReading(
        rendered=False,
        note="EPUB files are not rendered to pages: read by structure on the local tier",
    )
    for media in (MediaType.PDF, MediaType.HTML, MediaType.CSV, MediaType.EML, MediaType.PNG):
        assert choose_office_reading(media, "moe", True) == OfficeReading(rendered=False)


def test_a_deck_asked_on_moe_becomes_the_pages_of_its_pdf_with_budgets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = install_fake_soffice(tmp_path, monkeypatch)
    deck = make_pptx(tmp_path / "deck.pptx")
    plan = plan_document(_request(deck))
    assert plan.media_type is MediaType.PPTX
    assert [(p.chunk.kind, p.chunk.page_number, p.tier) for p in plan.plans] == [
        (ChunkKind.PDF_PAGE, n, Tier.MOE) for n in (1, 2, 3)
    ]
    for each in plan.plans:
        assert each.chunk.converted_by == "libreoffice"
        assert (each.chunk.width, each.chunk.height) == (720, 540)
        assert each.chunk.has_text_layer is True and each.chunk.min_font_pt == 14
        assert each.budget == 140  # 14 pt on a 720 pt wide page: legible from 140
        assert each.waiting_reason is None
    assert deck.with_suffix(".pdf").is_file()
    (call,) = log.read_text().splitlines()
    args = call.split()
    assert args[0].startswith("-env:UserInstallation=file:///")
    assert {"--headless", "--norestore", "--nofirststartwizard"} <= set(args)
    assert args[args.index("--convert-to") + 1] == "pdf"
    assert args[-1].endswith("/input.pptx")
    # planned again (a retried chunking, the same bytes ingested twice): converted once
    assert plan_document(_request(deck)) == plan
    assert len(log.read_text().splitlines()) == 1


def test_without_libreoffice_moe_reads_the_structure_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    deck = make_pptx(tmp_path / "deck.pptx")
    plan = plan_document(_request(deck))
    assert [(p.chunk.kind, p.tier, p.budget) for p in plan.plans][:3] == [
        (ChunkKind.SLIDE, Tier.LOCAL, None)
    ] * 3
    assert {p.chunk.note for p in plan.plans} == {NO_LIBREOFFICE_NOTE}
    assert not deck.with_suffix(".pdf").exists()


def test_other_tiers_read_the_structure_without_converting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = install_fake_soffice(tmp_path, monkeypatch)
    guide = make_docx(tmp_path / "guide.docx")
    plan = plan_document(_request(guide, RoutingRequest()))
    assert [(p.chunk.kind, p.tier) for p in plan.plans] == [
        (ChunkKind.SECTION, Tier.LOCAL),
        (ChunkKind.IMAGE, Tier.MOE),  # a picture goes to the configured MoE tier, as before
    ]
    assert all(p.chunk.note is None and p.chunk.converted_by is None for p in plan.plans)
    assert not log.exists()


@pytest.mark.parametrize(
    ("mode", "timeout", "category", "message"),
    [
        (
            "fail",
            60,  # it fails at once; the limit only has to outlast a loaded machine's start-up
            ErrorCategory.CORRUPT_FILE,
            "LibreOffice could not convert the .docx file to"
            " pdf (exit 1): Error: source file could not be loaded",
        ),
        ("hang", 1, ErrorCategory.TIMEOUT, "LibreOffice did not convert the file within 1 s"),
    ],
)
def test_a_failed_conversion_fails_the_document_and_leaves_no_pdf(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    timeout: int,
    category: ErrorCategory,
    message: str,
) -> None:
    install_fake_soffice(tmp_path, monkeypatch, mode)
    monkeypatch.setattr("pipeline.sources.soffice.CONVERT_TIMEOUT_SECONDS", timeout)
    guide = make_docx(tmp_path / "guide.docx")
    with pytest.raises(ChunkingError) as caught:
        plan_document(_request(guide))
    assert (caught.value.category, caught.value.message) == (category, message)
    assert caught.value.media_type is MediaType.DOCX
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == []


def test_a_converted_page_job_reads_the_pdf_next_to_its_blob(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    source = tmp_path / "deck.pptx"
    source.write_bytes(b"deck bytes")
    stored = blobs.put_file(source)
    converted = converted_pdf_path(blobs, stored.sha256)
    assert converted == blobs.path_for(stored.sha256).with_name(f"{stored.sha256}.converted.pdf")
    page = ChunkDescriptor(seq=0, kind=ChunkKind.PDF_PAGE, converted_by="libreoffice")
    slide = ChunkDescriptor(seq=0, kind=ChunkKind.SLIDE)
    assert job_file(blobs, stored.sha256, page) == converted
    assert job_file(blobs, stored.sha256, slide) == blobs.path_for(stored.sha256)
    converted.write_bytes(b"%PDF-")
    detached = blobs.detach(stored.sha256)
    assert detached is not None
    blobs.purge(detached)
    assert not converted.exists()  # derived files go with their blob
