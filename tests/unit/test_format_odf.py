"""OpenDocument text, spreadsheets and presentations read from their XML."""

from pathlib import Path

import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.errors import PipelineError
from pipeline.formats.odf_reader import OdfReader
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from tests.support.office_files import make_odp, make_ods, make_odt, rewrite_member

READER = OdfReader()


def test_odt_blocks_and_markdown(tmp_path: Path) -> None:
    path = make_odt(tmp_path / "guide.odt")
    chunks = list(chunk_file(path, MediaType.ODT))
    assert [(c.kind, c.part) for c in chunks] == [
        (ChunkKind.SECTION, None),
        (ChunkKind.IMAGE, "Pictures/logo.png"),
    ]
    data = READER.read(path, chunks[0])
    assert [(b.kind.value, b.text, b.level, b.marker, b.depth) for b in data.blocks] == [
        ("page_header", "Greenhouse handbook", None, None, 0),
        ("title", "Growing guide", 1, None, 0),
        ("section_header", "Seeds", 2, None, 0),
        ("paragraph", "Sow in spring[1] and water daily.", None, None, 0),
        ("section_header", "Cherry varieties", 4, None, 0),
        ("list_item", "Harvest", None, "1.", 0),
        ("list_item", "Sungold", None, "\u2022", 1),
        ("list_item", "Sweet million", None, "\u2022", 1),
        ("list_item", "Store", None, "2.", 0),
        ("table", "", None, None, 0),
        ("figure", "Logo with text", None, None, 0),
        ("paragraph", "The end.", None, None, 0),
        ("footnote", "[1] Measured at noon.", None, None, 0),
        ("page_footer", "Confidential", None, None, 0),
    ]
    assert data.markdown == (
        "# Growing guide\n\n## Seeds\n\nSow in spring[1] and water daily.\n\n"
        "#### Cherry varieties\n\n"
        "1. Harvest\n   - Sungold\n   - Sweet million\n2. Store\n\n"
        '<table><thead><tr><th colspan="2">Crop and month</th><th>Kg</th></tr></thead>'
        '<tbody><tr><td rowspan="2">Tomato</td><td>May</td><td>12</td></tr>'
        "<tr><td>June</td><td>30</td></tr></tbody></table>\n\n"
        "Logo with text\n\nThe end."
    )


def test_ods_sheets_with_spans_and_repeated_empties_trimmed(tmp_path: Path) -> None:
    path = make_ods(tmp_path / "book.ods")
    chunks = list(chunk_file(path, MediaType.ODS))
    assert [(c.kind, c.part, c.row_start, c.row_end) for c in chunks] == [
        (ChunkKind.SHEET, "Harvest", 0, 3),
        (ChunkKind.SHEET, "Notes", 0, 1),
    ]
    harvest = READER.read(path, chunks[0])
    assert harvest.markdown == (
        "## Harvest\n\n"
        '<table><thead><tr><th>Crop</th><th colspan="2">Amount</th><th>Share</th></tr></thead>'
        "<tbody><tr><td>Tomato</td><td>12</td><td>1.50</td><td>25%</td></tr>"
        "<tr><td>Basil</td><td>3</td><td>2.25</td><td>75%</td></tr></tbody></table>"
    )
    assert READER.read(path, chunks[1]).markdown == (
        "## Notes\n\n| Planted | 2026-03-01 |\n| --- | --- |"
    )


def test_odp_slides_titles_outline_and_notes(tmp_path: Path) -> None:
    path = make_odp(tmp_path / "deck.odp")
    chunks = list(chunk_file(path, MediaType.ODP))
    assert [(c.kind, c.page_number, c.title) for c in chunks] == [
        (ChunkKind.SLIDE, 1, "Greenhouse review"),
        (ChunkKind.SLIDE, 2, "Findings"),
    ]
    assert READER.read(path, chunks[0]).markdown == "## Greenhouse review\n\nSeason 2026"
    assert READER.read(path, chunks[1]).markdown == (
        "## Findings\n\n- Yields rose\n  - Tomatoes doubled\n- Costs fell\n\n"
        "Notes:\n\nMention the weather."
    )


def test_broken_content_xml_is_corrupt_naming_the_part(tmp_path: Path) -> None:
    path = make_odt(tmp_path / "broken.odt")
    rewrite_member(path, lambda name, data: data[:-50] if name == "content.xml" else data)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.ODT))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert "content.xml" in caught.value.message
