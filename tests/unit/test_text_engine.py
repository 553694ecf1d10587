from pathlib import Path

import pymupdf
import pytest

from pipeline.chunking.documents import chunk_file, chunk_pdf
from pipeline.engines.base import ChunkJob
from pipeline.engines.catalog import default_registry
from pipeline.engines.resources import EngineResources
from pipeline.errors import PipelineError
from pipeline.local.native_text import extract_native_page
from pipeline.run import process_chunk
from pipeline.sources.pdf import open_pdf
from schemas.blocks import BlockKind
from schemas.enums import ChunkKind, ErrorCategory, MediaType, Tier
from schemas.extractions import PageContent
from tests.support.documents import (
    TABLE_HEADER,
    TABLE_ROWS,
    make_damaged_pdf,
    make_encrypted_pdf,
    make_text_pdf,
    make_truncated_pdf,
    make_two_column_pdf,
)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


@pytest.fixture
def three_pages(tmp_path: Path) -> tuple[Path, list[list[str]]]:
    path = tmp_path / "three.pdf"
    lines = make_text_pdf(path, 3, table_on_page=2, rotated_page=3)
    return path, lines


def test_chunker_yields_one_descriptor_per_page(three_pages: tuple[Path, list[list[str]]]) -> None:
    path, _ = three_pages
    chunks = list(chunk_pdf(path))
    assert [c.page_number for c in chunks] == [1, 2, 3]
    assert [c.seq for c in chunks] == [0, 1, 2]
    assert all(c.kind is ChunkKind.PDF_PAGE for c in chunks)
    assert (chunks[0].width, chunks[0].height) == (612, 792)
    assert chunks[2].rotation == 90
    assert (chunks[2].width, chunks[2].height) == (792, 612)


def test_chunker_is_lazy(tmp_path: Path) -> None:
    path = tmp_path / "many.pdf"
    make_text_pdf(path, 50, lines_per_page=1)
    iterator = chunk_pdf(path)
    first = next(iterator)
    assert first.page_number == 1
    iterator.close()


def test_page_text_is_in_reading_order(three_pages: tuple[Path, list[list[str]]]) -> None:
    path, lines = three_pages
    document = open_pdf(path)
    content = extract_native_page(document, 0)
    assert _lines(content.data.text) == lines[0]
    assert content.provenance.page_number == 1
    assert [b.index for b in content.data.blocks] == list(range(len(content.data.blocks)))
    first_box = content.data.blocks[0].bbox
    assert 60 < first_box[0] < 80 and first_box[1] < first_box[3]


def test_ruled_table_becomes_rows_and_cells(three_pages: tuple[Path, list[list[str]]]) -> None:
    path, lines = three_pages
    content = extract_native_page(open_pdf(path), 1)
    (block,) = [b for b in content.data.blocks if b.kind == BlockKind.TABLE]
    table = block.table
    assert table is not None
    assert table.rows() == [TABLE_HEADER, *TABLE_ROWS]
    assert table.header_rows == 1
    assert table.n_cols == 3
    assert len(table.cells) == table.n_rows * table.n_cols
    assert all(cell.bbox is not None for cell in table.cells)
    for line in lines[1]:
        assert line in content.data.text
    assert "Trellis net" in content.data.text


def test_pages_without_ruling_lines_skip_table_detection(
    three_pages: tuple[Path, list[list[str]]],
) -> None:
    path, _ = three_pages
    blocks = extract_native_page(open_pdf(path), 0).data.blocks
    assert [b for b in blocks if b.kind == BlockKind.TABLE] == []


def test_rotated_page_keeps_its_text_and_reports_rotation(
    three_pages: tuple[Path, list[list[str]]],
) -> None:
    path, lines = three_pages
    content = extract_native_page(open_pdf(path), 2)
    assert content.data.page.rotation == 90
    assert (content.data.page.width, content.data.page.height) == (792, 612)
    assert _lines(content.data.text) == lines[2]


def test_two_columns_are_not_interleaved(tmp_path: Path) -> None:
    path = tmp_path / "columns.pdf"
    left, right = make_two_column_pdf(path)
    text = extract_native_page(open_pdf(path), 0).data.text
    assert _lines(text) == left + right


def test_process_chunk_returns_a_valid_page_content(
    three_pages: tuple[Path, list[list[str]]],
) -> None:
    path, lines = three_pages
    chunk = next(iter(chunk_pdf(path)))
    result = process_chunk(ChunkJob(path, chunk, Tier.LOCAL), EngineResources(), default_registry())
    parsed = PageContent.model_validate({"data": result.data, "provenance": result.provenance})
    assert _lines(parsed.data.text) == lines[0]
    assert result.kind == "page_content"


def test_model_tiers_are_unavailable_in_this_version(
    three_pages: tuple[Path, list[list[str]]],
) -> None:
    path, _ = three_pages
    chunk = next(iter(chunk_pdf(path)))
    with pytest.raises(PipelineError) as raised:
        process_chunk(
            ChunkJob(path, chunk, Tier.MOE, budget=560), EngineResources(), default_registry()
        )
    assert raised.value.category is ErrorCategory.TIER_UNAVAILABLE


@pytest.mark.parametrize(
    ("maker", "category"),
    [
        (make_encrypted_pdf, ErrorCategory.ENCRYPTED),
        (make_truncated_pdf, ErrorCategory.CORRUPT_FILE),
        (lambda p: p.write_bytes(b""), ErrorCategory.EMPTY_FILE),
        (lambda p: p.write_bytes(b"%PDF-1.7\n%%EOF\n"), ErrorCategory.CORRUPT_FILE),
    ],
)
def test_bad_pdfs_fail_with_a_category(
    tmp_path: Path, maker: object, category: ErrorCategory
) -> None:
    path = tmp_path / "bad.pdf"
    maker(path)  # type: ignore[operator]
    with pytest.raises(PipelineError) as raised:
        list(chunk_file(path, MediaType.PDF))
    assert raised.value.category is category
    assert raised.value.message


def test_pdf_with_zero_pages_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "zero.pdf"
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    with pytest.raises(PipelineError) as raised:
        list(chunk_file(path, MediaType.PDF))
    assert raised.value.category is ErrorCategory.NO_PAGES


def test_lost_pages_of_a_damaged_file_fail_alone(tmp_path: Path) -> None:
    path = tmp_path / "damaged.pdf"
    make_damaged_pdf(path)
    document = open_pdf(path)
    # The same line at the same place on every page is a running header: furniture, kept in
    # the blocks and left out of the body text.
    (block,) = extract_native_page(document, 0).data.blocks
    assert block.kind == BlockKind.PAGE_HEADER
    assert block.text.startswith("Surviving text of page 1")
    with pytest.raises(PipelineError) as raised:
        extract_native_page(document, document.page_count - 1)
    assert raised.value.category is ErrorCategory.PAGE_ERROR


@pytest.mark.parametrize(
    ("media", "category"),
    [
        (MediaType.PNG, ErrorCategory.UNSUPPORTED_MEDIA),
        (MediaType.GIF, ErrorCategory.UNSUPPORTED_MEDIA),
        (MediaType.UNKNOWN, ErrorCategory.UNSUPPORTED_MEDIA),
        (MediaType.WAV, ErrorCategory.CORRUPT_FILE),
        (MediaType.MP4, ErrorCategory.CORRUPT_FILE),
    ],
)
def test_content_that_is_not_what_was_sniffed_fails_clearly(
    tmp_path: Path, media: MediaType, category: ErrorCategory
) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"whatever")
    with pytest.raises(PipelineError) as raised:
        list(chunk_file(path, media))
    assert raised.value.category is category


def test_chunker_marks_pages_without_a_text_layer(tmp_path: Path) -> None:
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "native text")
    scan = document.new_page()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pixmap.clear_with(200)
    scan.insert_image(scan.rect, pixmap=pixmap)
    path = tmp_path / "mixed.pdf"
    document.save(path)
    assert [chunk.has_text_layer for chunk in chunk_pdf(path)] == [True, False]
