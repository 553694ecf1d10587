"""The DOCX reader on generated documents: exact blocks and Markdown, broken and hostile files."""

import time
from pathlib import Path

import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.errors import PipelineError
from pipeline.formats.content import SECTION_BLOCKS
from pipeline.formats.docx_reader import DocxReader
from schemas.blocks import BlockKind
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from tests.support.office_files import make_docx, rewrite_member

READER = DocxReader()


def _summary(path: Path) -> list[tuple[str, str, int | None, str | None, int]]:
    chunk = next(READER.chunks(path, MediaType.DOCX))
    data = READER.read(path, chunk)
    return [(b.kind.value, b.text, b.level, b.marker, b.depth) for b in data.blocks]


def test_blocks_in_body_order_with_headings_lists_table_footnote_and_furniture(
    tmp_path: Path,
) -> None:
    path = make_docx(tmp_path / "guide.docx")
    assert _summary(path) == [
        ("page_header", "Greenhouse handbook", None, None, 0),
        ("title", "Growing guide", 1, None, 0),
        ("section_header", "Seeds", 2, None, 0),
        ("paragraph", "Sow in spring[1] and water daily.", None, None, 0),
        ("section_header", "Tomatoes", 3, None, 0),
        ("section_header", "Cherry varieties", 4, None, 0),
        ("list_item", "Sungold", None, "\u2022", 0),
        ("list_item", "Sweet million", None, "\u2022", 1),
        ("list_item", "Harvest", None, "1.", 0),
        ("list_item", "Store", None, "2.", 0),
        ("table", "", None, None, 0),
        ("figure", "Logo with text", None, None, 0),
        ("figure", "", None, None, 0),
        ("paragraph", "The end.", None, None, 0),
        ("footnote", "[1] Measured at noon.", None, None, 0),
        ("page_footer", "Confidential", None, None, 0),
    ]


def test_merged_cells_are_spans_covering_every_position_once(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "guide.docx")
    data = READER.read(path, next(READER.chunks(path, MediaType.DOCX)))
    (table,) = [b.table for b in data.blocks if b.kind is BlockKind.TABLE]
    assert table is not None
    cells = [(c.row, c.col, c.row_span, c.col_span, c.text, c.header) for c in table.cells]
    assert cells == [
        (0, 0, 1, 2, "Crop and month", True),
        (0, 2, 1, 1, "Kg", True),
        (1, 0, 2, 1, "Tomato", False),
        (1, 1, 1, 1, "May", False),
        (1, 2, 1, 1, "12", False),
        (2, 1, 1, 1, "June", False),
        (2, 2, 1, 1, "30", False),
    ]
    covered = [
        (r, c)
        for cell in table.cells
        for r in range(cell.row, cell.row + cell.row_span)
        for c in range(cell.col, cell.col + cell.col_span)
    ]
    assert sorted(covered) == [(r, c) for r in range(3) for c in range(3)]


def test_markdown_leaves_furniture_out(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "guide.docx")
    data = READER.read(path, next(READER.chunks(path, MediaType.DOCX)))
    assert data.markdown == (
        "# Growing guide\n\n"
        "## Seeds\n\n"
        "Sow in spring[1] and water daily.\n\n"
        "### Tomatoes\n\n"
        "#### Cherry varieties\n\n"
        "- Sungold\n"
        "  - Sweet million\n"
        "1. Harvest\n"
        "2. Store\n\n"
        '<table><thead><tr><th colspan="2">Crop and month</th><th>Kg</th></tr></thead>'
        '<tbody><tr><td rowspan="2">Tomato</td><td>May</td><td>12</td></tr>'
        "<tr><td>June</td><td>30</td></tr></tbody></table>\n\n"
        "Logo with text\n\n"
        "The end."
    )
    assert data.engine == "docx"
    assert (data.page.width, data.page.height) == (612.0, 792.0)


def test_one_section_and_one_image_job_for_the_picture_worth_it(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "guide.docx")
    chunks = list(chunk_file(path, MediaType.DOCX))
    assert [(c.seq, c.kind, c.part, c.width, c.height) for c in chunks] == [
        (0, ChunkKind.SECTION, None, None, None),
        (1, ChunkKind.IMAGE, "word/media/image1.png", 480, 160),
    ]  # the 16 px icon (word/media/image2.png) is below the 64 px rule: no job


def test_outline_levels_make_headings_without_heading_styles(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "outline.docx")

    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        return data.replace(
            b"<w:p><w:r><w:t>The end.</w:t></w:r></w:p>",
            b'<w:p><w:pPr><w:outlineLvl w:val="3"/></w:pPr><w:r><w:t>The end.</w:t></w:r></w:p>',
        )

    rewrite_member(path, edit)
    blocks = _summary(path)
    assert ("section_header", "The end.", 5, None, 0) in blocks  # outline level 3 = Heading 4


def test_a_large_document_is_cut_into_sections_by_block_ranges(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for number in range(SECTION_BLOCKS + 10):
        document.add_paragraph(f"Line {number}")
    path = tmp_path / "long.docx"
    document.save(str(path))
    chunks = list(READER.chunks(path, MediaType.DOCX))
    assert [(c.kind, c.page_number, c.row_start, c.row_end) for c in chunks] == [
        (ChunkKind.SECTION, 1, 0, SECTION_BLOCKS),
        (ChunkKind.SECTION, 2, SECTION_BLOCKS, SECTION_BLOCKS + 10),
    ]
    second = READER.read(path, chunks[1])
    assert [b.text for b in second.blocks][:2] == [
        f"Line {SECTION_BLOCKS}",
        f"Line {SECTION_BLOCKS + 1}",
    ]
    assert len(second.blocks) == 10


def test_broken_document_xml_is_a_corrupt_file_naming_the_part(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "broken.docx")
    rewrite_member(path, lambda name, data: data[:-40] if name == "word/document.xml" else data)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.DOCX))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert "word/document.xml" in caught.value.message
    assert "not well-formed XML" in caught.value.message


def test_a_zip_that_is_not_a_docx_is_corrupt(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "gutted.docx")
    rewrite_member(path, lambda name, data: data, drop=frozenset({"word/document.xml"}))
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.DOCX))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE


_BOMB_DTD = (
    b'<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
    + b"".join(
        f'<!ENTITY {name} "{("&" + prev + ";") * 10}">'.encode()
        for name, prev in zip("bcdefghij", "abcdefghi", strict=True)
    )
    + b"]>"
)


def test_an_entity_expansion_bomb_is_refused_fast(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "bomb.docx")

    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        head, _, rest = data.partition(b"?>")
        rest = rest.replace(b"<w:t>The end.</w:t>", b"<w:t>&j;</w:t>")
        return head + b"?>" + _BOMB_DTD + rest

    rewrite_member(path, edit)
    started = time.monotonic()
    with pytest.raises(PipelineError) as caught:
        list(READER.chunks(path, MediaType.DOCX))
    assert time.monotonic() - started < 5
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert "word/document.xml" in caught.value.message


def test_numbered_headings_keep_their_number(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "numbered.docx")

    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        numbered = (
            b'<w:pStyle w:val="Heading1"/>'
            b'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="9"/></w:numPr>'
        )
        return data.replace(b'<w:pStyle w:val="Heading1"/>', numbered)

    def numbering(name: str, data: bytes) -> bytes:
        if name != "word/numbering.xml":
            return edit(name, data)
        definition = (
            b'<w:abstractNum w:abstractNumId="90"><w:lvl w:ilvl="0"><w:start w:val="3"/>'
            b'<w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl></w:abstractNum>'
        )
        data = data.replace(b"<w:num ", definition + b"<w:num ", 1)
        return data.replace(
            b"</w:numbering>",
            b'<w:num w:numId="9"><w:abstractNumId w:val="90"/></w:num></w:numbering>',
        )

    rewrite_member(path, numbering)
    assert ("section_header", "3. Seeds", 2, None, 0) in _summary(path)


_MATH = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
_INLINE_MATH = (
    f"<m:oMath {_MATH}><m:r><m:t>A=π</m:t></m:r><m:sSup><m:e><m:r><m:t>r</m:t></m:r></m:e>"
    "<m:sup><m:r><m:t>2</m:t></m:r></m:sup></m:sSup></m:oMath>"
)
_DISPLAY_MATH = (
    f'<m:oMathPara {_MATH}><m:oMath><m:nary><m:naryPr><m:chr m:val="∑"/></m:naryPr>'
    "<m:sub><m:r><m:t>k=0</m:t></m:r></m:sub><m:sup><m:r><m:t>n</m:t></m:r></m:sup>"
    "<m:e><m:f><m:num><m:r><m:t>1</m:t></m:r></m:num><m:den><m:rad><m:radPr><m:degHide "
    'm:val="1"/></m:radPr><m:deg/><m:e><m:r><m:t>k</m:t></m:r></m:e></m:rad></m:den></m:f>'
    "</m:e></m:nary></m:oMath></m:oMathPara>"
)


def test_equations_are_latex_inline_and_as_formula_blocks(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "math.docx")

    def edit(name: str, data: bytes) -> bytes:
        if name != "word/document.xml":
            return data
        paragraphs = (
            f'<w:p><w:r><w:t xml:space="preserve">Area </w:t></w:r>{_INLINE_MATH}</w:p>'
            f"<w:p>{_DISPLAY_MATH}</w:p>"
        )
        return data.replace(b"<w:p><w:r><w:t>The end.</w:t></w:r></w:p>", paragraphs.encode())

    rewrite_member(path, edit)
    blocks = _summary(path)
    assert ("paragraph", "Area $A=\\pi r^{2}$", None, None, 0) in blocks
    assert ("formula", "\\sum_{k=0}^{n} \\frac{1}{\\sqrt{k}}", None, None, 0) in blocks


def test_a_nested_table_is_flattened_into_its_cell_and_repeated_header_rows_count(
    tmp_path: Path,
) -> None:
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    outer = document.add_table(rows=3, cols=2)
    for row in outer.rows[:2]:
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    outer.cell(0, 0).text, outer.cell(0, 1).text = "Crop", "Plan"
    outer.cell(1, 0).text, outer.cell(1, 1).text = "", "week by week"
    outer.cell(2, 0).text = "Tomato"
    inner = outer.cell(2, 1).add_table(rows=2, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "Week 1", "sow"
    inner.cell(1, 0).text, inner.cell(1, 1).text = "Week 2", "water"
    path = tmp_path / "nested.docx"
    document.save(str(path))
    data = READER.read(path, next(READER.chunks(path, MediaType.DOCX)))
    (table,) = [b.table for b in data.blocks if b.table is not None]
    assert table.header_rows == 2
    assert table.rows() == [
        ["Crop", "Plan"],
        ["", "week by week"],
        ["Tomato", "Week 1 | sow\nWeek 2 | water"],
    ]
