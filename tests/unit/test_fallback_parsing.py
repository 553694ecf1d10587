"""PDFium as the second parser: files MuPDF finds empty or cannot open, pages it cannot load.

The file MuPDF rejects and PDFium reads is generated here: a valid PDF whose root page node
says `/Count 0` (MuPDF trusts the count and finds no pages; PDFium walks the `/Kids`).
"""

from pathlib import Path

import pymupdf
import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.engines.base import ChunkJob
from pipeline.engines.catalog import default_registry
from pipeline.engines.resources import EngineResources
from pipeline.errors import PdfError, PipelineError
from pipeline.local.ocr_engine import OcrEngine
from pipeline.run import process_chunk
from pipeline.sources.pdf import open_pdf
from pipeline.sources.pdfium import open_pdfium
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType, Tier
from tests.support.documents import make_encrypted_pdf

LINES = ("Quarterly revenue of the orchard", "Seedling invoice number 7")


def _write(path: Path, document: pymupdf.Document, miscount: bool) -> Path:
    data = bytes(document.tobytes())  # no object streams: the page tree is plain text
    document.close()
    if miscount:
        assert data.count(b"/Count 2") == 1
        data = data.replace(b"/Count 2", b"/Count 0")
    path.write_bytes(data)
    return path


def text_pdf(path: Path, *, miscount: bool = True) -> Path:
    document = pymupdf.open()
    for number in (1, 2):
        page = document.new_page(width=300, height=200)
        page.insert_text((20, 40), f"Page {number}: {LINES[0]}", fontsize=11)
        page.insert_text((20, 80), LINES[1], fontsize=11)
    return _write(path, document, miscount)


def scanned_pdf(path: Path) -> Path:
    """Two pages that are pictures of text (no text layer), page count zeroed."""
    picture = pymupdf.open()
    source = picture.new_page(width=300, height=120)
    source.insert_text((20, 60), "Harvest ledger 2024", fontsize=24)
    png = source.get_pixmap(dpi=150).tobytes("png")
    picture.close()
    document = pymupdf.open()
    for _ in range(2):
        document.new_page(width=300, height=120).insert_image(
            pymupdf.Rect(0, 0, 300, 120), stream=png
        )
    return _write(path, document, miscount=True)


def test_mupdf_finds_no_pages_where_pdfium_reads_two(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "miscounted.pdf")
    with pytest.raises(PdfError) as raised:
        open_pdf(path)
    assert raised.value.category is ErrorCategory.NO_PAGES
    with open_pdfium(path) as document:
        assert document.page_count == 2
        assert LINES[1] in document.read_page(1).text


def test_chunks_of_a_file_only_pdfium_reads_say_so(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "miscounted.pdf")
    chunks = list(chunk_file(path, MediaType.PDF))
    assert chunks == [
        ChunkDescriptor(
            seq=index,
            kind=ChunkKind.PDF_PAGE,
            page_number=index + 1,
            width=300.0,
            height=200.0,
            rotation=0,
            has_text_layer=True,
            parser="pdfium",
            repaired=True,
        )
        for index in (0, 1)
    ]
    # A valid file is MuPDF's, unmarked.
    intact = list(chunk_file(text_pdf(tmp_path / "intact.pdf", miscount=False), MediaType.PDF))
    assert [(chunk.parser, chunk.repaired) for chunk in intact] == [(None, False), (None, False)]


def test_a_page_pdfium_chunked_is_extracted_from_pdfium_text(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "miscounted.pdf")
    resources = EngineResources()
    try:
        chunk = list(chunk_file(path, MediaType.PDF))[1]
        result = process_chunk(ChunkJob(path, chunk, Tier.LOCAL), resources, default_registry())
    finally:
        resources.close()
    assert result.engine == "pdfium-text"
    assert result.data["engine"] == "pdfium-text"
    assert result.data["text"].split("\n") == ["Page 2: " + LINES[0], LINES[1]]
    assert result.data["page"] == {"width": 300.0, "height": 200.0, "rotation": 0, "unit": "pt"}
    assert result.provenance["parser"] == "pdfium"
    assert result.provenance["repaired"] is True
    assert result.provenance["page_number"] == 2


@pytest.mark.models
def test_a_scan_pdfium_chunked_is_rendered_by_pdfium_and_ocred(
    tmp_path: Path, ocr_engine: OcrEngine
) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf")
    chunks = list(chunk_file(path, MediaType.PDF))
    assert [(chunk.parser, chunk.has_text_layer) for chunk in chunks] == [("pdfium", False)] * 2
    resources = EngineResources(ocr=ocr_engine)
    try:
        result = process_chunk(ChunkJob(path, chunks[0], Tier.LOCAL), resources, default_registry())
    finally:
        resources.close()
    assert result.engine == "pdfium+rapidocr"
    assert "Harvest ledger 2024" in result.data["text"]
    assert result.provenance["parser"] == "pdfium"


def test_a_page_mupdf_cannot_load_is_taken_from_pdfium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MuPDF made to fail at its boundary for one page: PDFium reads it instead."""
    path = text_pdf(tmp_path / "intact.pdf", miscount=False)
    chunk = next(iter(chunk_file(path, MediaType.PDF)))
    real_load_page = pymupdf.Document.load_page

    def failing_load_page(self: pymupdf.Document, index: int = 0) -> pymupdf.Page:
        if index == 0:
            raise pymupdf.mupdf.FzErrorFormat("cycle in page tree")
        page: pymupdf.Page = real_load_page(self, index)
        return page

    monkeypatch.setattr(pymupdf.Document, "load_page", failing_load_page)
    resources = EngineResources()
    try:
        result = process_chunk(ChunkJob(path, chunk, Tier.LOCAL), resources, default_registry())
    finally:
        resources.close()
    assert result.engine == "pdfium-text"
    assert result.data["text"].split("\n") == ["Page 1: " + LINES[0], LINES[1]]
    assert result.provenance == {
        "page_number": 1,
        "bbox": [0.0, 0.0, 300.0, 200.0],
        "unit": "pt",
        "parser": "pdfium",
        "repaired": True,
    }


def test_when_pdfium_fails_too_the_page_keeps_mupdfs_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = text_pdf(tmp_path / "intact.pdf", miscount=False)
    chunk = next(iter(chunk_file(path, MediaType.PDF)))
    beyond = chunk.model_copy(update={"page_number": 9, "seq": 8})
    resources = EngineResources()
    try:
        with pytest.raises(PipelineError) as raised:
            process_chunk(ChunkJob(path, beyond, Tier.LOCAL), resources, default_registry())
    finally:
        resources.close()
    assert raised.value.category is ErrorCategory.PAGE_ERROR
    assert "PDFium" not in raised.value.message  # MuPDF's error, PDFium's is its cause
    assert isinstance(raised.value.__cause__, PdfError)


def test_files_neither_parser_reads_keep_mupdfs_category(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(text_pdf(tmp_path / "full.pdf").read_bytes()[:300])
    with pytest.raises(PdfError) as raised:
        list(chunk_file(truncated, MediaType.PDF))
    assert raised.value.category in (ErrorCategory.CORRUPT_FILE, ErrorCategory.NO_PAGES)
    assert "PDFium" not in raised.value.message
    encrypted = tmp_path / "encrypted.pdf"
    make_encrypted_pdf(encrypted)
    with pytest.raises(PdfError) as raised:
        list(chunk_file(encrypted, MediaType.PDF))
    assert raised.value.category is ErrorCategory.ENCRYPTED
