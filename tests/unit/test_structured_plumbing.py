"""Structured chunks through routing, planning, queues, engines and assembly; embedded
pictures decoded from their member."""

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from pipeline.assemble.document import JobSnapshot, assemble_document
from pipeline.chunking.documents import chunk_file
from pipeline.engines.base import ChunkJob
from pipeline.engines.catalog import default_registry
from pipeline.engines.resources import EngineResources
from pipeline.engines.visual_inputs import decode_picture, frame_provenance
from pipeline.errors import PipelineError
from pipeline.local.ocr_engine import OcrEngine
from pipeline.planning.jobs import plan_jobs
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest, choose_route
from pipeline.run import process_chunk
from pipeline.sources.embedded_images import MIN_SIDE_PX, probe_member_image
from pipeline.sources.members import read_member
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType, Tier
from schemas.rendering.pages import pages_html
from schemas.results import DocumentPagesData
from schemas.tasks import LOCAL_QUEUE, queue_for
from tests.support.office_files import DOCX_PICTURE_TEXT, make_docx, make_pptx, make_xlsx

MOE = ConfiguredTiers(moe=True)


@pytest.mark.parametrize("kind", [ChunkKind.SECTION, ChunkKind.SLIDE, ChunkKind.SHEET])
@pytest.mark.parametrize(
    "request_",
    [RoutingRequest(), RoutingRequest(tier="moe"), RoutingRequest(schema="invoice")],
)
def test_structured_chunks_run_locally_whatever_the_request(
    kind: ChunkKind, request_: RoutingRequest
) -> None:
    route = choose_route(ChunkDescriptor(seq=0, kind=kind), request_, MOE)
    assert (route.tier, route.waiting_reason) == (Tier.LOCAL, None)
    assert queue_for(route.tier, kind) == LOCAL_QUEUE


def test_embedded_pictures_go_to_the_moe_tier_with_a_budget_and_sections_get_none(
    tmp_path: Path,
) -> None:
    path = make_docx(tmp_path / "guide.docx")
    plans = list(plan_jobs(chunk_file(path, MediaType.DOCX), RoutingRequest(tier="moe"), 1120, MOE))
    assert [(p.chunk.kind, p.tier, p.budget) for p in plans] == [
        (ChunkKind.SECTION, Tier.LOCAL, None),
        (ChunkKind.IMAGE, Tier.MOE, 1120),
    ]
    local = list(
        plan_jobs(chunk_file(path, MediaType.DOCX), RoutingRequest(), None, ConfiguredTiers())
    )
    assert [(p.chunk.kind, p.tier, p.budget) for p in local] == [
        (ChunkKind.SECTION, Tier.LOCAL, None),
        (ChunkKind.IMAGE, Tier.LOCAL, None),
    ]


def test_the_structured_engine_reads_a_slide_with_provenance_naming_it(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    slide = list(chunk_file(path, MediaType.PPTX))[1]
    result = process_chunk(ChunkJob(path, slide, Tier.LOCAL), EngineResources(), default_registry())
    assert (result.kind, result.engine) == ("page_content", "pptx")
    assert result.provenance == {
        "page_number": 2,
        "bbox": [0.0, 0.0, 720.0, 540.0],
        "unit": "pt",
        "chunk_kind": "slide",
        "title": "Findings",
        "slide": 2,
    }
    assert result.data["markdown"].startswith("## Findings\n\n- Yields rose")


def test_a_sheet_range_names_its_sheet_and_rows(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    sheet = next(iter(chunk_file(path, MediaType.XLSX)))
    result = process_chunk(ChunkJob(path, sheet, Tier.LOCAL), EngineResources(), default_registry())
    assert result.provenance["part"] == "Harvest"
    assert (result.provenance["row_start"], result.provenance["row_end"]) == (0, 4)


def test_an_embedded_picture_is_decoded_from_its_member_and_ocred(
    tmp_path: Path, ocr_engine: OcrEngine
) -> None:
    path = make_docx(tmp_path / "guide.docx")
    picture = list(chunk_file(path, MediaType.DOCX))[1]
    job = ChunkJob(path, picture, Tier.LOCAL)
    assert decode_picture(job).size == (480, 160)
    assert frame_provenance(job) == {"part": "word/media/image1.png"}
    result = process_chunk(job, EngineResources(ocr=ocr_engine), default_registry())
    assert result.data["text"] == DOCX_PICTURE_TEXT
    assert result.provenance["part"] == "word/media/image1.png"


def test_a_member_read_is_capped_and_tiny_or_vector_pictures_get_no_job(tmp_path: Path) -> None:
    path = tmp_path / "box.zip"
    small, vector = io.BytesIO(), b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    Image.new("RGB", (MIN_SIDE_PX - 1, 500), "white").save(small, format="PNG")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("media/thin.png", small.getvalue())
        archive.writestr("media/logo.svg", vector)
        archive.writestr("media/zeros.bin", b"\0" * (4 * 1024 * 1024))
    assert probe_member_image(path, "media/thin.png") is None
    assert probe_member_image(path, "media/logo.svg") is None
    assert probe_member_image(path, "media/missing.png") is None
    with pytest.raises(PipelineError) as capped:
        read_member(path, "media/zeros.bin", max_bytes=1024 * 1024)
    assert capped.value.category is ErrorCategory.TOO_LARGE
    with pytest.raises(PipelineError) as bomb:
        read_member(path, "media/zeros.bin")
    assert bomb.value.category is ErrorCategory.TOO_LARGE
    assert "compression bomb" in bomb.value.message
    with pytest.raises(PipelineError) as missing:
        read_member(path, "media/missing.png")
    assert missing.value.category is ErrorCategory.CORRUPT_FILE


def _snapshot(
    seq: int,
    kind: ChunkKind,
    page: int,
    markdown: str,
    *,
    part: str | None = None,
    failed: bool = False,
) -> JobSnapshot:
    blocks = [{"index": 0, "kind": "paragraph", "text": markdown, "bbox": [0, 0, 0, 0]}]
    return JobSnapshot(
        seq=seq,
        state="failed" if failed else "succeeded",
        kind=kind.value,
        start_seconds=None,
        page_number=page,
        extraction_id=None if failed else f"x{seq}",
        extraction_kind=None if failed else "page_content",
        data=None if failed else {"text": markdown, "markdown": markdown, "blocks": blocks},
        error_category="page_error" if failed else None,
        error_message="slide 2 cannot be read" if failed else None,
        part=part,
    )


def test_a_deck_assembles_with_slide_markers_its_pictures_after_their_slide() -> None:
    jobs = [
        _snapshot(0, ChunkKind.SLIDE, 1, "Cover"),
        _snapshot(1, ChunkKind.SLIDE, 2, "", failed=True),
        _snapshot(2, ChunkKind.SLIDE, 3, "Numbers"),
        _snapshot(3, ChunkKind.IMAGE, 3, "GROW 42", part="ppt/media/image1.png"),
    ]
    result = assemble_document(MediaType.PPTX.value, jobs)
    data = DocumentPagesData.model_validate(result.data)
    assert data.markdown == (
        "<!-- slide 1 -->\n\nCover\n\n"
        "<!-- slide 2 -->\n\n> **Slide 2: no content** (failed: page_error)\n\n"
        "<!-- slide 3 -->\n\nNumbers\n\n"
        "<!-- image ppt/media/image1.png -->\n\nGROW 42"
    )
    assert [(p.kind, p.part) for p in data.pages] == [
        ("slide", None),
        ("slide", None),
        ("slide", None),
        ("image", "ppt/media/image1.png"),
    ]
    assert pages_html(data.pages).startswith('<section data-page="1" data-kind="slide">')


def test_sections_join_plainly_and_sheets_mark_each_sheet_once() -> None:
    document = assemble_document(
        MediaType.DOCX.value,
        [_snapshot(0, ChunkKind.SECTION, 1, "First"), _snapshot(1, ChunkKind.SECTION, 2, "Second")],
    )
    assert document.data["markdown"] == "First\n\nSecond"
    book = assemble_document(
        MediaType.XLSX.value,
        [
            _snapshot(0, ChunkKind.SHEET, 1, "rows 1", part="Data"),
            _snapshot(1, ChunkKind.SHEET, 1, "rows 2", part="Data"),
            _snapshot(2, ChunkKind.SHEET, 2, "notes", part="Notes --> x"),
        ],
    )
    assert book.data["markdown"] == (
        "<!-- sheet 1: Data -->\n\nrows 1\n\nrows 2\n\n<!-- sheet 2: Notes - -&gt; x -->\n\nnotes"
    )


@pytest.mark.parametrize(
    ("described", "text"),
    [
        ("image.png", ""),
        ("  Logo   with text ", "Logo with text"),
        ("Picture 3", "Picture 3"),
        (None, ""),
    ],
)
def test_a_bare_file_name_is_no_alt_text(described: str | None, text: str) -> None:
    from pipeline.formats.pictures import alt_text

    assert alt_text(described) == text
