"""schemas/rendering: exact Markdown, HTML and text of block lists, pages and media results."""

from schemas.blocks import Block, BlockKind, GridCell, TableGrid
from schemas.rendering.clock import clock, iso_duration
from schemas.rendering.html import render_html
from schemas.rendering.markdown import render_markdown
from schemas.rendering.media import (
    timeline_html,
    timeline_markdown,
    transcript_html,
    transcript_markdown,
)
from schemas.rendering.pages import pages_html, pages_markdown, pages_text
from schemas.rendering.results import ResultFormat, render_result
from schemas.rendering.text import render_text
from schemas.results import FailedSpan, PageSummary
from schemas.timeline import TimelineFrame, TimelineSpeech
from schemas.transcript import TranscriptSegment

BOX = (0.0, 0.0, 10.0, 10.0)


def _block(kind: BlockKind, text: str = "", **fields: object) -> Block:
    return Block.model_validate({"index": 0, "kind": kind, "text": text, "bbox": BOX, **fields})


def _item(text: str, marker: str, depth: int = 0) -> Block:
    return _block(BlockKind.LIST_ITEM, text, marker=marker, depth=depth)


def _plain_table() -> Block:
    cells = [
        GridCell(row=0, col=0, text="Crop", header=True),
        GridCell(row=0, col=1, text="Rows a|b", header=True),
        GridCell(row=1, col=0, text="Kale\ncurly"),
        GridCell(row=1, col=1, text="3"),
    ]
    grid = TableGrid(n_rows=2, n_cols=2, header_rows=1, cells=cells)
    return _block(BlockKind.TABLE, table=grid)


def _spanning_table() -> Block:
    cells = [
        GridCell(row=0, col=0, col_span=2, text="Harvest", header=True),
        GridCell(row=1, col=0, row_span=2, text="<Kale>"),
        GridCell(row=1, col=1, text="June & July"),
        GridCell(row=2, col=1, text="August"),
    ]
    grid = TableGrid(n_rows=3, n_cols=2, header_rows=1, cells=cells)
    return _block(BlockKind.TABLE, table=grid)


def test_headings_paragraphs_and_formulas_as_markdown() -> None:
    blocks = [
        _block(BlockKind.TITLE, "Harvest   plan", level=1),
        _block(BlockKind.SECTION_HEADER, "Scope"),
        _block(BlockKind.SECTION_HEADER, "Detail", level=3),
        _block(BlockKind.PARAGRAPH, "First line\nsecond line"),
        _block(BlockKind.FORMULA, r"E = mc^2"),
    ]
    assert render_markdown(blocks) == (
        "# Harvest plan\n\n## Scope\n\n### Detail\n\nFirst line\nsecond line\n\n$$\nE = mc^2\n$$"
    )


def test_lines_markdown_would_misread_and_html_in_text_are_escaped() -> None:
    blocks = [
        _block(BlockKind.PARAGRAPH, "# not a heading\n1. not a list\n- nor this\n> nor a quote"),
        _block(BlockKind.PARAGRAPH, "<b>bold</b> &amp; 3 < 4"),
        _block(BlockKind.SECTION_HEADER, "About <script>"),
    ]
    assert render_markdown(blocks) == (
        "\\# not a heading\n1\\. not a list\n\\- nor this\n\\> nor a quote\n\n"
        "\\<b>bold\\</b> \\&amp; 3 < 4\n\n"
        "## About \\<script>"
    )


def test_lists_and_nested_lists_as_markdown() -> None:
    blocks = [
        _item("first", "•"),
        _item("nested", "◦", depth=1),
        _item("deeper", "-", depth=2),
        _item("second\nwraps", "•"),
        _block(BlockKind.PARAGRAPH, "Between."),
        _item("one", "1."),
        _item("under one", "•", depth=1),
        _item("two", "2)"),
        _item("too deep jumps one level", "•", depth=3),
        _item("lettered", "a)"),
    ]
    assert render_markdown(blocks) == (
        "- first\n"
        "  - nested\n"
        "    - deeper\n"
        "- second\n"
        "  wraps\n\n"
        "Between.\n\n"
        "1. one\n"
        "   - under one\n"
        "2. two\n"
        "   - too deep jumps one level\n"
        "- a) lettered"
    )


def test_lists_and_nested_lists_as_html() -> None:
    blocks = [
        _item("first", "•"),
        _item("nested", "◦", depth=1),
        _item("second", "•"),
        _item("three", "3."),
        _item("four", "4."),
        _item("jump", "•", depth=2),
    ]
    assert render_html(blocks) == (
        "<ul><li>first<ul><li>nested</li></ul></li><li>second</li></ul>"
        '<ol start="3"><li>three</li><li>four<ul><li>jump</li></ul></li></ol>'
    )


def test_tables_as_pipe_tables_or_html_where_cells_merge() -> None:
    assert render_markdown([_plain_table()]) == (
        "| Crop | Rows a\\|b |\n| --- | --- |\n| Kale<br>curly | 3 |"
    )
    expected_spanning = (
        '<table><thead><tr><th colspan="2">Harvest</th></tr></thead>'
        '<tbody><tr><td rowspan="2">&lt;Kale&gt;</td><td>June &amp; July</td></tr>'
        "<tr><td>August</td></tr></tbody></table>"
    )
    assert render_markdown([_spanning_table()]) == expected_spanning
    assert render_html([_spanning_table()]) == expected_spanning
    assert render_html([_plain_table()]) == (
        "<table><thead><tr><th>Crop</th><th>Rows a|b</th></tr></thead>"
        "<tbody><tr><td>Kale<br>curly</td><td>3</td></tr></tbody></table>"
    )
    assert render_text([_plain_table()]) == "Crop\tRows a|b\nKale curly\t3"


def test_html_escapes_text_and_marks_up_each_kind() -> None:
    blocks = [
        _block(BlockKind.TITLE, "A & B"),
        _block(BlockKind.PARAGRAPH, "<script>alert(1)</script>\nnext"),
        _block(BlockKind.CAPTION, "Figure 1"),
        _block(BlockKind.FORMULA, "a < b"),
    ]
    assert render_html(blocks) == (
        "<h1>A &amp; B</h1>\n"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>next</p>\n"
        '<p class="caption">Figure 1</p>\n'
        '<div class="formula">\\[a &lt; b\\]</div>'
    )


def test_furniture_is_left_out_unless_asked_for() -> None:
    blocks = [
        _block(BlockKind.PAGE_HEADER, "Annual report"),
        _block(BlockKind.PARAGRAPH, "Body."),
        _block(BlockKind.FOOTNOTE, "1 A note."),
        _block(BlockKind.PAGE_NUMBER, "7"),
    ]
    assert render_markdown(blocks) == "Body."
    assert render_html(blocks) == "<p>Body.</p>"
    assert render_text(blocks) == "Body."
    assert render_markdown(blocks, include_furniture=True) == (
        "Annual report\n\nBody.\n\n1 A note.\n\n7"
    )
    assert render_html(blocks, include_furniture=True) == (
        '<p class="page_header">Annual report</p>\n<p>Body.</p>\n'
        '<p class="footnote">1 A note.</p>\n<p class="page_number">7</p>'
    )
    assert render_text(blocks, include_furniture=True) == "Annual report\n\nBody.\n\n1 A note.\n\n7"


def _pages() -> list[PageSummary]:
    return [
        PageSummary(
            page_number=1,
            status="succeeded",
            text="Intro",
            blocks=[
                _block(BlockKind.PAGE_HEADER, "Running head"),
                _block(BlockKind.TITLE, "Intro"),
            ],
        ),
        PageSummary(
            page_number=2,
            status="failed",
            error={"category": "page_error", "message": "cannot read at 10.0.0.5:9000"},
        ),
        PageSummary(page_number=3, status="succeeded", text="Old text\nno blocks"),
        PageSummary(page_number=4, status="waiting"),
        PageSummary(page_number=5, status="succeeded", text="", blocks=[]),
    ]


def test_pages_as_markdown_with_markers_and_gaps() -> None:
    assert pages_markdown(_pages()) == (
        "<!-- page 1 -->\n\n# Intro\n\n"
        "<!-- page 2 -->\n\n> **Page 2: no content** (failed: page_error)\n\n"
        "<!-- page 3 -->\n\nOld text\nno blocks\n\n"
        "<!-- page 4 -->\n\n> **Page 4: no content** (waiting)\n\n"
        "<!-- page 5 -->"
    )
    assert pages_markdown(_pages()[:1], include_furniture=True) == (
        "<!-- page 1 -->\n\nRunning head\n\n# Intro"
    )


def test_pages_as_html_sections_and_as_text() -> None:
    assert pages_html(_pages()) == (
        '<section data-page="1">\n<h1>Intro</h1>\n</section>\n'
        '<section data-page="2" data-status="failed">\n'
        '<p class="gap">Page 2: no content (failed: page_error)</p>\n</section>\n'
        '<section data-page="3">\n<p>Old text<br>no blocks</p>\n</section>\n'
        '<section data-page="4" data-status="waiting">\n'
        '<p class="gap">Page 4: no content (waiting)</p>\n</section>\n'
        '<section data-page="5"></section>'
    )
    assert pages_text(_pages()) == "Intro\n\f\n\n\f\nOld text\nno blocks\n\f\n\n\f\n"
    assert pages_text(_pages()[:1], include_furniture=True) == "Running head\n\nIntro"


def test_clock_and_iso_duration() -> None:
    assert clock(0.0) == "00:00:00"
    assert clock(83.9) == "00:01:23"
    assert clock(3725.0) == "01:02:05"
    assert iso_duration(83.5) == "PT83.5S"
    assert iso_duration(4.0) == "PT4S"


def test_transcript_markdown_and_html_with_speakers_and_gaps() -> None:
    segments = [
        TranscriptSegment(start=0.0, end=4.2, text="and so my  fellow\nAmericans"),
        TranscriptSegment(start=65.0, end=70.0, text="ask not", speaker="JFK"),
    ]
    failed = [FailedSpan(seq=1, start=30.0, category="asr_error", message="boom")]
    assert transcript_markdown(segments, failed) == (
        "**[00:00:00]** and so my fellow Americans\n\n"
        "> **[00:00:30]** speech not transcribed (failed: asr_error)\n\n"
        "**[00:01:05] JFK:** ask not"
    )
    assert transcript_html(segments, failed) == (
        '<p data-start="0" data-end="4.2"><time datetime="PT0S">[00:00:00]</time> '
        "and so my fellow Americans</p>\n"
        '<p class="gap"><time datetime="PT30S">[00:00:30]</time> speech not transcribed '
        "(failed: asr_error)</p>\n"
        '<p data-start="65" data-end="70"><time datetime="PT65S">[00:01:05]</time> '
        '<span class="speaker">JFK:</span> ask not</p>'
    )


def test_timeline_markdown_and_html_put_keyframes_under_timestamp_headings() -> None:
    frame_blocks = [
        _block(BlockKind.TITLE, "Irrigation schedule"),
        _block(BlockKind.PAGE_NUMBER, "2"),
    ]
    items: list[TimelineFrame | TimelineSpeech] = [
        TimelineFrame(timestamp=0.0, text="Harvest planning"),
        TimelineSpeech(start=0.0, end=4.5, text="and so my fellow Americans"),
        TimelineFrame(timestamp=4.0, text="Irrigation schedule", blocks=frame_blocks),
        TimelineFrame(timestamp=8.0, text=""),
    ]
    failed_frames = [FailedSpan(seq=3, start=12.0, category="ocr_error")]
    assert timeline_markdown(items, failed_frames) == (
        "## [00:00:00] Keyframe\n\nHarvest planning\n\n"
        "**[00:00:00]** and so my fellow Americans\n\n"
        "## [00:00:04] Keyframe\n\n# Irrigation schedule\n\n"
        "## [00:00:08] Keyframe\n\n"
        "> **[00:00:12]** keyframe not read (failed: ocr_error)"
    )
    assert timeline_html(items[2:3], include_furniture=True) == (
        '<section data-timestamp="4">\n'
        '<h2><time datetime="PT4S">[00:00:04]</time> Keyframe</h2>\n'
        '<h1>Irrigation schedule</h1>\n<p class="page_number">2</p>\n</section>'
    )


def test_render_result_makes_a_standalone_html_page() -> None:
    data = {
        "text": "ask not",
        "segments": [{"start": 1.0, "end": 2.0, "text": "ask not"}],
        "language": "en",
        "engine": "moonshine",
    }
    page = render_result("transcript", data, ResultFormat.HTML, title="Speech <1>")
    assert page == (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Speech &lt;1&gt;</title>\n</head>\n<body>\n<main>\n"
        '<p data-start="1" data-end="2"><time datetime="PT1S">[00:00:01]</time> ask not</p>\n'
        "</main>\n</body>\n</html>\n"
    )
    assert "<script" not in page and "src=" not in page.replace("default-src", "")
    assert render_result("transcript", data, ResultFormat.TEXT, title="x") == "ask not\n"
    assert render_result("transcript", data, ResultFormat.MARKDOWN, title="x") == (
        "**[00:00:01]** ask not\n"
    )


def test_a_transcript_of_several_languages_gets_no_html_lang() -> None:
    data = {"text": "", "segments": [], "language": "de+en", "engine": "moonshine"}
    page = render_result("transcript", data, ResultFormat.HTML, title="t")
    assert "<html>\n" in page and "lang=" not in page
