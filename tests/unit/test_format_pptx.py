"""The PPTX reader on a generated deck: slides, titles, bullets, tables, pictures, notes."""

from pathlib import Path

import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.errors import PipelineError
from pipeline.formats.pptx_reader import PptxReader
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from tests.support.office_files import make_pptx, rewrite_member

READER = PptxReader()


def test_one_slide_chunk_per_slide_and_an_image_chunk_after_its_slide(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    chunks = list(chunk_file(path, MediaType.PPTX))
    assert [(c.seq, c.kind, c.page_number, c.title, c.part) for c in chunks] == [
        (0, ChunkKind.SLIDE, 1, "Greenhouse review", None),
        (1, ChunkKind.SLIDE, 2, "Findings", None),
        (2, ChunkKind.SLIDE, 3, "Numbers", None),
        (3, ChunkKind.IMAGE, 3, None, "ppt/media/image1.png"),
    ]
    assert (chunks[0].width, chunks[0].height) == (720.0, 540.0)


def test_slide_blocks_titles_bullets_text_box_and_notes(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    chunks = list(READER.chunks(path, MediaType.PPTX))
    cover, bullets = READER.read(path, chunks[0]), READER.read(path, chunks[1])
    assert [(b.kind.value, b.text, b.level) for b in cover.blocks] == [
        ("title", "Greenhouse review", 1),
        ("paragraph", "Season 2026", None),
    ]
    assert [(b.kind.value, b.text, b.marker, b.depth) for b in bullets.blocks] == [
        ("section_header", "Findings", None, 0),
        ("list_item", "Yields rose", "\u2022", 0),
        ("list_item", "Tomatoes doubled", "\u2022", 1),
        ("list_item", "Costs fell", "\u2022", 0),
        ("paragraph", "Source: field logs", None, 0),
        ("paragraph", "Notes:", None, 0),
        ("paragraph", "Mention the weather.", None, 0),
        ("paragraph", "Thank the team.", None, 0),
    ]
    assert bullets.markdown == (
        "## Findings\n\n"
        "- Yields rose\n"
        "  - Tomatoes doubled\n"
        "- Costs fell\n\n"
        "Source: field logs\n\n"
        "Notes:\n\n"
        "Mention the weather.\n\n"
        "Thank the team."
    )
    assert bullets.blocks[1].bbox == (36.0, 126.0, 684.0, 482.38)


def test_a_slide_table_keeps_its_merges_and_the_picture_is_a_figure(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    data = READER.read(path, list(READER.chunks(path, MediaType.PPTX))[2])
    assert data.markdown == (
        "## Numbers\n\n"
        '<table><thead><tr><th colspan="2">Crop and month</th><th>Kg</th></tr></thead>'
        '<tbody><tr><td rowspan="2">Tomato</td><td>May</td><td>12</td></tr>'
        "<tr><td>June</td><td>30</td></tr></tbody></table>\n\n"
        "Logo with text"
    )
    assert [b.kind.value for b in data.blocks] == ["section_header", "table", "figure"]


def test_a_broken_slide_fails_alone_naming_its_part(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    rewrite_member(path, lambda name, data: data[:-30] if name == "ppt/slides/slide2.xml" else data)
    chunks = list(chunk_file(path, MediaType.PPTX))
    assert [(c.kind, c.page_number, c.title) for c in chunks] == [
        (ChunkKind.SLIDE, 1, "Greenhouse review"),
        (ChunkKind.SLIDE, 2, None),
        (ChunkKind.SLIDE, 3, "Numbers"),
        (ChunkKind.IMAGE, 3, None),
    ]
    assert READER.read(path, chunks[2]).markdown.startswith("## Numbers")
    with pytest.raises(PipelineError) as caught:
        READER.read(path, chunks[1])
    assert caught.value.category is ErrorCategory.PAGE_ERROR
    assert "ppt/slides/slide2.xml" in caught.value.message


def test_a_broken_presentation_part_is_a_corrupt_file(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    rewrite_member(path, lambda name, data: data[:-30] if name == "ppt/presentation.xml" else data)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.PPTX))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert "ppt/presentation.xml" in caught.value.message


def test_a_slide_beyond_the_deck_fails_alone(tmp_path: Path) -> None:
    path = make_pptx(tmp_path / "deck.pptx")
    chunk = next(READER.chunks(path, MediaType.PPTX)).model_copy(update={"page_number": 9})
    with pytest.raises(PipelineError) as caught:
        READER.read(path, chunk)
    assert caught.value.category is ErrorCategory.PAGE_ERROR


def test_a_chart_is_a_figure_and_its_data_a_table(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Ducks"
    data = CategoryChartData()
    data.categories = ["2025", "2026"]
    data.add_series("Fresh", (120, 130.5))
    data.add_series("Salt", (80, 95))
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), data
    )
    frame.chart.has_title = True
    frame.chart.chart_title.text_frame.text = "Ducks seen"
    path = tmp_path / "chart.pptx"
    deck.save(str(path))
    (chunk,) = READER.chunks(path, MediaType.PPTX)
    assert READER.read(path, chunk).markdown == (
        "## Ducks\n\nDucks seen\n\n"
        "|  | Fresh | Salt |\n| --- | --- | --- |\n| 2025 | 120 | 80 |\n| 2026 | 130.5 | 95 |"
    )
