"""The local tier's structure on generated PDFs whose structure is known: blocks (kinds, levels,
markers, texts) and the page Markdown are asserted exactly."""

from pathlib import Path
from typing import Any
from unittest.mock import patch

import pymupdf
import pytest

from pipeline.local.native_text import extract_native_page
from pipeline.local.ocr_engine import OcrEngine
from pipeline.local.pdf_page import local_pdf_page
from pipeline.local.structure.document import document_font_stats, take_sampled_read
from pipeline.local.structure.memo import document_memo
from pipeline.local.structure.page_text import TEXT_FLAGS
from pipeline.sources.pdf import open_pdf
from schemas.blocks import Block, BlockKind
from tests.support.structured_pdfs import (
    ARXIV_STAMP,
    BANNER,
    FOOTNOTE,
    RUNNING_HEADER,
    make_accents_pdf,
    make_banner_page_pdf,
    make_book_pdf,
    make_cjk_sections_pdf,
    make_footnote_pdf,
    make_ocr_layer_pdf,
    make_outlined_pdf,
    make_run_together_pdf,
    make_running_furniture_pdf,
    make_sections_pdf,
    make_tab_stop_list_pdf,
    make_two_column_structured_pdf,
)

Summary = tuple[str, int | None, str | None, int, str]


def _summary(blocks: list[Block]) -> list[Summary]:
    return [(b.kind.value, b.level, b.marker, b.depth, b.text) for b in blocks]


def _page(tmp_path: Path, maker: object, index: int = 0) -> tuple[pymupdf.Document, int]:
    path = tmp_path / "structured.pdf"
    maker(path)  # type: ignore[operator]
    return open_pdf(path), index


HYPHENATED = (
    "Records kept in the archive are irretrievably lost once deleted; the state-of-the-art "
    "design lets the teams co-operate, and co-operate is how the guide spells it."
)


def test_headings_at_three_levels_lists_figure_and_caption(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_sections_pdf)
    data = extract_native_page(document, index).data
    assert _summary(data.blocks) == [
        ("title", 1, None, 0, "Growing Under Glass"),
        ("section_header", 2, None, 0, "1 Introduction"),
        ("paragraph", None, None, 0, HYPHENATED),
        ("section_header", 3, None, 0, "1.1 Background"),
        ("paragraph", None, None, 0, "Glasshouses keep the heat of the sun inside."),
        ("section_header", 4, None, 0, "Watering schedule"),
        ("paragraph", None, None, 0, "The plants are watered twice a day."),
        ("list_item", None, "\u2022", 0, "Tomatoes need warmth"),
        ("list_item", None, "\u2022", 1, "and a lot of light"),
        ("list_item", None, "\u2022", 0, "Lettuce prefers shade"),
        ("list_item", None, "1.", 0, "Sow the seeds"),
        ("list_item", None, "2.", 0, "Water the trays"),
        ("figure", None, None, 0, ""),
        ("caption", None, None, 0, "Figure 1: Seedlings under glass."),
    ]
    assert data.blocks[12].bbox == (72.0, 390.9, 272.0, 490.9)
    assert data.markdown == (
        "# Growing Under Glass\n\n"
        "## 1 Introduction\n\n"
        f"{HYPHENATED}\n\n"
        "### 1.1 Background\n\n"
        "Glasshouses keep the heat of the sun inside.\n\n"
        "#### Watering schedule\n\n"
        "The plants are watered twice a day.\n\n"
        "- Tomatoes need warmth\n"
        "  - and a lot of light\n"
        "- Lettuce prefers shade\n"
        "1. Sow the seeds\n"
        "2. Water the trays\n\n"
        "Figure 1: Seedlings under glass."
    )


def test_two_columns_are_read_column_by_column_under_a_full_width_title(
    tmp_path: Path,
) -> None:
    document, index = _page(tmp_path, make_two_column_structured_pdf)
    data = extract_native_page(document, index).data
    assert [b.kind.value for b in data.blocks] == ["title"] + ["paragraph"] * 4
    assert data.markdown == (
        "# Two Columns of Notes\n\n"
        "The left column starts with its first paragraph, written over two lines.\n\n"
        "Its second paragraph follows after a gap and also takes two lines.\n\n"
        "The right column is read only after the whole left column is done.\n\n"
        "Its last paragraph closes the page with two more lines of text."
    )


@pytest.mark.parametrize(("index", "rotation"), [(0, 0), (1, 0), (2, 0), (1, 90)])
def test_running_header_and_page_numbers_are_furniture(
    tmp_path: Path, index: int, rotation: int
) -> None:
    path = tmp_path / "running.pdf"
    make_running_furniture_pdf(path, rotation=rotation)
    data = extract_native_page(open_pdf(path), index).data
    number = index + 1
    body = f"Body text of page {number} talks about crop {number}."
    assert _summary(data.blocks) == [
        ("page_header", None, None, 0, RUNNING_HEADER),
        ("paragraph", None, None, 0, body),
        ("page_number", None, None, 0, f"Page {number} of 3"),
    ]
    assert [b.furniture for b in data.blocks] == [True, False, True]
    assert data.markdown == body
    assert data.text == body


def test_a_page_reads_the_same_whichever_pages_were_read_before(tmp_path: Path) -> None:
    path = tmp_path / "running.pdf"
    make_running_furniture_pdf(path, pages=5)
    in_order = open_pdf(path)
    sequential = [extract_native_page(in_order, index).data for index in range(5)]
    alone = extract_native_page(open_pdf(path), 3).data
    assert alone == sequential[3]
    assert ("bands", 4) in document_memo(in_order)._values


def test_the_font_sample_hands_a_page_its_text_extraction_once(tmp_path: Path) -> None:
    path = tmp_path / "running.pdf"
    make_running_furniture_pdf(path, pages=5)
    document = open_pdf(path)
    document_font_stats(document)
    sampled = document_memo(document)._values[("read", 2)]
    assert sampled.lines
    text_reads: list[int] = []
    real_get_textpage = pymupdf.Page.get_textpage

    def counting(page: pymupdf.Page, *args: Any, **kwargs: Any) -> pymupdf.TextPage:
        if kwargs.get("flags") == TEXT_FLAGS:
            text_reads.append(page.number)
        return real_get_textpage(page, *args, **kwargs)

    with patch.object(pymupdf.Page, "get_textpage", counting):
        data = extract_native_page(document, 2).data
        assert 2 not in text_reads  # the sample's text page served the page's own read
        assert extract_native_page(document, 2).data == data
    assert text_reads == [2]  # a second extraction reads the page itself
    assert data == extract_native_page(open_pdf(path), 2).data
    assert take_sampled_read(document, 2) is None  # taken by the page's read, no longer kept


def test_one_page_banner_arxiv_stamp_and_bare_page_number_are_furniture(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_banner_page_pdf)
    data = extract_native_page(document, index).data
    assert _summary(data.blocks) == [
        ("page_header", None, None, 0, BANNER),
        ("page_header", None, None, 0, ARXIV_STAMP),
        ("paragraph", None, None, 0, "A single page about orchids."),
        ("page_number", None, None, 0, "7"),
    ]
    assert data.markdown == "A single page about orchids."


def test_accents_ligatures_and_drop_cap_are_joined(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_accents_pdf)
    data = extract_native_page(document, index).data
    assert _summary(data.blocks) == [
        ("paragraph", None, None, 0, "J\u00e1n Min\u00e1\u010d wrote"),
        ("paragraph", None, None, 0, "Caf\u00e9 final office"),
        ("paragraph", None, None, 0, "Green plants grow towards the light of the window."),
    ]
    assert data.markdown == (
        "J\u00e1n Min\u00e1\u010d wrote\n\n"
        "Caf\u00e9 final office\n\n"
        "Green plants grow towards the light of the window."
    )


def test_spaces_are_restored_where_the_layer_has_none(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_run_together_pdf)
    page = document.load_page(index)
    assert page.get_text().splitlines()[0] == "Compositionofthepretrainingdataforthemodel"
    data = extract_native_page(document, index).data
    assert data.markdown == (
        "Composition of the pretraining data for the model\n\nA normal line follows it."
    )


def test_invisible_ocr_layer_in_scrambled_order_is_read_line_by_line(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_ocr_layer_pdf)
    assert document.load_page(index).get_text().split()[:3] != ["Invoice", "4711", "covers"]
    data = local_pdf_page(document, index, True, OcrEngine(threads=1)).data
    assert data.engine == "pymupdf-text"
    assert data.markdown == (
        "Invoice 4711 covers the spring delivery of seedlings shipped to the northern "
        "greenhouse on the first of May together with forty bags of soil and two rolls of "
        "fleece packed on pallets and checked by the receiving team\n\n"
        "The total amount due for this delivery is 1200 euros payable within thirty days to "
        "the account shown below quoting the invoice number and the customer reference late "
        "payments are charged interest at the legal rate"
    )
    assert [b.kind for b in data.blocks] == [BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]


def test_font_statistics_come_from_the_sample_and_are_read_once(tmp_path: Path) -> None:
    document, _ = _page(tmp_path, make_sections_pdf)
    stats = document_font_stats(document)
    assert (stats.body_size, stats.tiers, stats.title_size) == (11.0, (24.0, 16.0, 13.0), 24.0)
    assert document_font_stats(document) is stats


def test_a_size_on_one_unsampled_page_is_a_tier_and_the_back_cover_is_not(
    tmp_path: Path,
) -> None:
    path = tmp_path / "book.pdf"
    make_book_pdf(path)
    document = open_pdf(path)
    stats = document_font_stats(document)
    assert (stats.body_size, stats.tiers, stats.title_size) == (11.0, (20.0, 14.0), 30.0)
    assert extract_native_page(document, 1).data.markdown.startswith("# Greenhouse Handbook\n\n")
    preface = extract_native_page(document, 3).data.markdown.split("\n\n")
    assert [part for part in preface if part.startswith("#")] == ["## Preface", "### Authors"]
    in_order = open_pdf(path)
    for index in range(3):
        extract_native_page(in_order, index)
    alone = extract_native_page(open_pdf(path), 3).data
    assert extract_native_page(in_order, 3).data == alone
    body = extract_native_page(document, 4).data.markdown.split("\n\n")
    assert [part for part in body if part.startswith("#")] == [
        "### 4.1 Climate",
        "#### 4.1.1 Vents",
    ]


def test_body_size_lines_opening_with_a_cjk_or_roman_section_mark_are_headings(
    tmp_path: Path,
) -> None:
    document, index = _page(tmp_path, make_cjk_sections_pdf)
    data = extract_native_page(document, index).data
    assert data.markdown == (
        "# 一、总体要求\n\n"
        "温室应当保持适宜的温度和湿度\uff0c以利于作物生长。\n\n"
        "## \uff08一\uff09通风管理\n\n"
        "白天气温升高时应及时打开通风口。\n\n"
        "\uff08二\uff09各地要按照要求做好温室的日常维护工作。\n\n"
        "# 제1장 서론\n\n"
        "온실은 작물을 기르기 위한 시설이다.\n\n"
        "# Ⅱ. 연구 방법\n\n"
        "온도와 습도를 매일 기록하였다."
    )


def test_the_outline_gives_heading_levels(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_outlined_pdf)
    data = extract_native_page(document, index).data
    assert data.markdown == (
        "# Scope\n\n"
        "This standard covers glasshouses.\n\n"
        "## Terms used\n\n"
        "A bay is the space between two trusses.\n\n"
        "# Annex\n\n"
        "The annex lists the suppliers."
    )


def test_small_type_note_at_the_foot_is_a_footnote(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_footnote_pdf)
    data = extract_native_page(document, index).data
    assert _summary(data.blocks) == [
        ("paragraph", None, None, 0, "Most growers water by hand.1"),
        ("footnote", None, None, 0, FOOTNOTE),
    ]
    assert data.markdown == "Most growers water by hand.1"


def test_bullets_at_their_own_tab_stop_join_their_items(tmp_path: Path) -> None:
    document, index = _page(tmp_path, make_tab_stop_list_pdf)
    data = extract_native_page(document, index).data
    assert data.markdown == (
        "- Glass: lets the light in and keeps the warmth of the day inside the house\n"
        "- Vents let the hot air out on summer afternoons when the sun is high"
    )
    assert [(b.kind.value, b.marker) for b in data.blocks] == [("list_item", "\u2022")] * 2
