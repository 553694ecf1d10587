"""Pure rules of the local tier's structure: clean-up, accents, spacing, lists, captions,
furniture and heading levels."""

from collections import Counter

import pytest

from pipeline.local.structure.accents import Glyph, join_accents
from pipeline.local.structure.captions import is_caption
from pipeline.local.structure.cleanup import clean_text, hyphenated_words, join_lines
from pipeline.local.structure.fonts import FontStats, PageFonts, font_stats, sample_pages
from pipeline.local.structure.furniture import BandBlock, band_blocks, furniture_kinds
from pipeline.local.structure.lines import TextLine
from pipeline.local.structure.lists import DepthTracker, ListStart, list_start
from pipeline.local.structure.markers import join_lone_markers
from pipeline.local.structure.numbering import is_numbered, numbering_depth
from pipeline.local.structure.outline import heading_key, outline_levels
from pipeline.local.structure.spacing import looks_run_together, restore_spaces
from schemas.blocks import BlockKind


def test_word_processors_hyphens_are_real_and_prefixes_keep_theirs() -> None:
    assert join_lines(["performance-", "enhancing"], set(), breaks_words=False) == (
        "performance-enhancing"
    )
    assert join_lines(["self-", "publishing"], set()) == "self-publishing"


@pytest.mark.parametrize(
    ("lines", "keep", "joined"),
    [
        (["irretrie-", "vably lost"], set(), "irretrievably lost"),
        (["the state-of-the-", "art design"], set(), "the state-of-the-art design"),
        (["teams co-", "operate"], {"co-operate"}, "teams co-operate"),
        (["teams co-", "operate"], set(), "teams cooperate"),
        (["Jean-", "Pierre came"], set(), "Jean-Pierre came"),
        (["pages 3 -", "5 and"], set(), "pages 3 - 5 and"),
        (["soft\u00ad", "ware"], set(), "software"),
        (["one line", "two lines"], set(), "one line two lines"),
        (["\u611f\u67d3", "\u75c7\u3067\u3059"], set(), "\u611f\u67d3\u75c7\u3067\u3059"),
    ],
)
def test_line_end_hyphens(lines: list[str], keep: set[str], joined: str) -> None:
    assert join_lines(lines, keep) == joined


def test_hyphenated_words_and_clean_text() -> None:
    assert hyphenated_words(["a co-operate and state-of-the-art x-", "9-5"]) == {
        "co-operate",
        "state-of-the-art",
    }
    assert clean_text(" \ufb01nal  o\ufb03ce\u200b Cafe\u0301 ") == "final office Caf\u00e9"


def test_spacing_accent_joins_the_letter_it_is_drawn_over() -> None:
    glyphs = [
        Glyph("J", 0.0, 5.0, 10.0),
        Glyph("\u00b4", 6.0, 9.0, 10.0),
        Glyph("a", 5.0, 10.0, 10.0),
        Glyph("n", 10.0, 15.0, 10.0),
        Glyph("\u02c7", 16.0, 19.0, 10.0),
        Glyph(" ", 19.0, 19.5, 10.0),
        Glyph("c", 15.0, 20.0, 10.0),
    ]
    assert "".join(g.char for g in join_accents(glyphs)) == "J\u00e1n\u010d"


def test_accent_over_nothing_and_dotless_i() -> None:
    lone = [Glyph("a", 0.0, 5.0, 10.0), Glyph("\u00b4", 20.0, 23.0, 10.0)]
    assert "".join(g.char for g in join_accents(lone)) == "a\u00b4"
    dotless = [Glyph("\u00b4", 1.0, 3.0, 10.0), Glyph("\u0131", 0.0, 4.0, 10.0)]
    assert "".join(g.char for g in join_accents(dotless)) == "\u00ed"


def test_spaces_from_gaps_only_on_run_together_lines() -> None:
    assert looks_run_together("Compositionofthepretrainingdata") is True
    assert looks_run_together("ordinary words in a line") is False
    glyphs = [
        Glyph("o", 0.0, 5.0, 10.0),
        Glyph("f", 5.0, 8.0, 10.0),
        Glyph("t", 9.2, 12.0, 10.0),
        Glyph("o", 12.0, 17.0, 10.0),
    ]
    assert "".join(g.char for g in restore_spaces(glyphs)) == "of to"


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("\u2022 Tomatoes", ListStart("\u2022", "Tomatoes", bullet=True)),
        ("\u2022Tomatoes", ListStart("\u2022", "Tomatoes", bullet=True)),
        ("- dash item", ListStart("-", "dash item", bullet=True)),
        ("3. Third", ListStart("3.", "Third", bullet=False)),
        ("(a) first", ListStart("(a)", "first", bullet=False)),
        ("iv) fourth", ListStart("iv)", "fourth", bullet=False)),
        ("3.5 million people", None),
        ("-5 degrees", None),
        ("Plain text", None),
    ],
)
def test_list_markers(text: str, start: ListStart | None) -> None:
    assert list_start(text) == start


def test_list_depth_follows_marker_indentation() -> None:
    depths = DepthTracker()
    assert [depths.depth(x) for x in (80.0, 96.0, 97.0, 112.0, 80.0, 96.0)] == [0, 1, 1, 2, 0, 1]


@pytest.mark.parametrize(
    ("text", "near", "caption"),
    [
        ("Figure 3: Growth of seedlings", False, True),
        ("Fig. 2. Layout", False, True),
        ("TABLE IV - Results", False, True),
        ("Table 2 shows the results of the trial.", False, False),
        ("Figure 3 Growth of seedlings", True, True),
        ("Figure 3 Growth of seedlings", False, False),
    ],
)
def test_captions(text: str, near: bool, caption: bool) -> None:
    box = (72.0, 300.0, 300.0, 312.0)
    visual = (72.0, 200.0, 300.0, 290.0) if near else (72.0, 500.0, 300.0, 600.0)
    assert is_caption(text, box, [visual]) is caption


def test_band_blocks_and_furniture_kinds() -> None:
    height, width = 792.0, 612.0
    own = band_blocks(
        [
            (72.0, 30.0, 200.0, 42.0, "Annual Report 2026\n", 0, 0),
            (72.0, 100.0, 500.0, 400.0, "Body text that changes.\n", 1, 0),
            (300.0, 700.0, 400.0, 712.0, "Chapter notes in the footer\n", 2, 0),
            (300.0, 755.0, 310.0, 767.0, "12\n", 3, 0),
        ],
        height,
    )
    assert own == (
        BandBlock(0, (72.0, 30.0, 200.0, 42.0), "annual report 0", True, False, False, True),
        BandBlock(
            2,
            (300.0, 700.0, 400.0, 712.0),
            "chapter notes in the footer",
            False,
            False,
            False,
            False,
        ),
        BandBlock(3, (300.0, 755.0, 310.0, 767.0), "0", False, True, False, True),
    )
    neighbour = (
        BandBlock(7, (72.0, 31.0, 201.0, 43.0), "annual report 0", True, False, False, True),
    )
    assert furniture_kinds(own, [neighbour], width, height) == {
        0: BlockKind.PAGE_HEADER,
        3: BlockKind.PAGE_NUMBER,
    }
    assert furniture_kinds(own, [], width, height) == {3: BlockKind.PAGE_NUMBER}


def test_a_footer_block_holding_a_page_number_is_furniture_on_its_own() -> None:
    own = band_blocks(
        [
            (72.0, 100.0, 500.0, 400.0, "Body text.\n", 0, 0),
            (355.0, 755.0, 547.0, 764.0, "Chapter 2. Roles and duties\n11\n", 1, 0),
            (72.0, 755.0, 300.0, 764.0, "7-45\n", 2, 0),
            (400.0, 760.0, 500.0, 770.0, "SPEKTRUM \u00b7 JANUAR 2006\n", 3, 0),
            (400.0, 30.0, 500.0, 40.0, "EDITORIAL\n", 4, 0),
        ],
        792.0,
    )
    assert furniture_kinds(own, [], 612.0, 792.0) == {
        1: BlockKind.PAGE_FOOTER,
        2: BlockKind.PAGE_NUMBER,
        3: BlockKind.PAGE_FOOTER,
    }


def test_heading_levels_below_a_title() -> None:
    stats = FontStats(body_size=10.0, tiers=(20.0, 14.0, 12.0), title_size=20.0)
    assert [stats.level_of(size) for size in (14.0, 12.0, 13.5)] == [2, 3, 2]
    assert stats.bold_body_level == 4
    untitled = FontStats(body_size=10.0, tiers=(14.0, 12.0), title_size=None)
    assert [untitled.level_of(14.0), untitled.level_of(12.0), untitled.bold_body_level] == [1, 2, 3]


def test_sample_pages_cover_short_documents_and_spread_over_long_ones() -> None:
    assert sample_pages(2) == [0, 1]
    assert sample_pages(24) == list(range(24))
    assert sample_pages(45) == [0, 1, 2, *range(3, 45, 2)]
    assert len(sample_pages(1000)) == 24


def _fonts(
    index: int, shorts: tuple[float, ...], bold: tuple[tuple[float, int], ...] = ()
) -> PageFonts:
    chars: Counter[float] = Counter({10.0: 2000})
    return PageFonts(index, chars, tuple((size, 0.2) for size in shorts), bold)


def test_back_cover_sizes_are_not_tiers_and_unnumbered_headings_set_no_depth_floor() -> None:
    pages = [
        _fonts(0, (30.0,)),
        _fonts(4, (16.0, 13.0), ((16.0, 0), (16.0, 2), (13.0, 3))),
        _fonts(9, (26.0, 16.0)),
    ]
    stats = font_stats(pages, page_count=10)
    assert (stats.tiers, stats.title_size, stats.depth_floors) == (
        (16.0, 13.0),
        30.0,
        ((13.0, 3), (16.0, 2)),
    )
    assert font_stats(pages, page_count=12).tiers == (26.0, 16.0, 13.0)
    assert [stats.depth_below_floor(16.0, depth) for depth in (1, 2, 3)] == [0, 0, 1]


@pytest.mark.parametrize(
    ("text", "depth", "numbered"),
    [
        ("2.1.3 Vents", 3, True),
        ("A.1. Diskless booting", 2, True),
        ("Authors", 1, False),
        ("第三章 总则", 1, True),
        ("第２节 方法", 2, True),
        ("十一、附则", 1, True),
        ("\uff08一\uff09加强领导", 2, True),
        ("(二) 工作", 2, True),
        ("一些问题", 1, False),
        ("제 2 절 방법", 2, True),
        ("제3장에서 보듯이", 1, False),
        ("Ⅳ. 결론", 1, True),
    ],
)
def test_numbering_depth_and_section_marks(text: str, depth: int, numbered: bool) -> None:
    assert (numbering_depth(text), is_numbered(text)) == (depth, numbered)


def test_a_title_may_repeat_once_on_each_front_matter_page() -> None:
    repeated = [_fonts(0, (30.0, 16.0)), _fonts(1, (30.0,)), _fonts(5, (16.0,))]
    assert font_stats(repeated, page_count=9).title_size == 30.0
    twice_on_a_page = [_fonts(0, (30.0,)), _fonts(1, (30.0, 30.0)), _fonts(5, (16.0,))]
    assert font_stats(twice_on_a_page, page_count=9).title_size is None
    in_the_body = [_fonts(0, (30.0,)), _fonts(5, (30.0, 16.0))]
    assert font_stats(in_the_body, page_count=9).title_size is None


def test_outline_levels_by_page_and_title() -> None:
    rows = [[1, "1. Introduction", 9], [2, "2.1. Main  Components.", 10], [1, "Nowhere", -1]]
    assert outline_levels(rows) == {8: {"1. introduction": 1}, 9: {"2.1. main components": 2}}
    assert heading_key("  2.1. Main Components: ") == "2.1. main components"


def test_lone_markers_join_the_text_on_their_row() -> None:
    lines = [
        TextLine(0, (137.0, 530.0, 142.0, 539.0), "\ufffd", 10.0, False, chars=1),
        TextLine(1, (151.0, 530.0, 250.0, 539.0), "Security fundamentals", 10.0, False, chars=20),
        TextLine(0, (137.0, 542.0, 142.0, 551.0), "2.", 10.0, False, chars=2),
        TextLine(1, (151.0, 542.0, 283.0, 551.0), "Current state", 10.0, False, chars=12),
        TextLine(2, (400.0, 600.0, 405.0, 609.0), "-", 10.0, False, chars=1),
        TextLine(3, (400.0, 650.0, 405.0, 659.0), "\ufffd", 10.0, False, chars=1),
    ]
    assert [(line.text, line.bbox, line.block_number) for line in join_lone_markers(lines)] == [
        ("\u2022 Security fundamentals", (137.0, 530.0, 250.0, 539.0), 1),
        ("2. Current state", (137.0, 542.0, 283.0, 551.0), 1),
        ("-", (400.0, 600.0, 405.0, 609.0), 2),
        ("\ufffd", (400.0, 650.0, 405.0, 659.0), 3),
    ]
