"""Office files with known content, generated for the format tests (python-docx, python-pptx,
openpyxl, odfpy): headings, nested lists, merged cells, a footnote, headers and footers,
a picture with text in it, speaker notes, sheets with a formula."""

import io
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.util import Emu
from pptx.util import Inches as PptxInches

__all__ = [
    "DOCX_PICTURE_TEXT",
    "make_docx",
    "make_pptx",
    "make_xlsx",
    "picture_with_text",
    "rewrite_member",
]

DOCX_PICTURE_TEXT = "GROW 42"
_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def picture_with_text(text: str = DOCX_PICTURE_TEXT, size: tuple[int, int] = (480, 160)) -> bytes:
    """A PNG with `text` printed large and black on white."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.load_default()
    for candidate in _FONT_PATHS:
        if Path(candidate).exists():
            font = ImageFont.truetype(candidate, 64)
            break
    draw.text((30, 40), text, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _tiny_icon() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buffer, format="PNG")
    return buffer.getvalue()


_FOOTNOTES_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
    '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
    "</w:r></w:p></w:footnote>"
    '<w:footnote w:id="1"><w:p><w:r><w:footnoteRef/></w:r>'
    '<w:r><w:t xml:space="preserve"> Measured at noon.</w:t></w:r></w:p></w:footnote>'
    "</w:footnotes>"
)


def make_docx(path: Path) -> Path:
    """A DOCX: title, headings at three levels, a nested list (bullets and numbers), a table
    merged across (row 0) and down (column 0), a footnote, a header and footer, a picture with
    text in it (alt text 'Logo with text') and a 16 px icon."""
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Greenhouse handbook"
    document.sections[0].footer.paragraphs[0].text = "Confidential"
    document.add_heading("Growing guide", level=0)
    document.add_heading("Seeds", level=1)
    intro = document.add_paragraph("Sow in spring")
    _footnote_reference(intro, 1)
    intro.add_run(" and water daily.")
    document.add_heading("Tomatoes", level=2)
    document.add_heading("Cherry varieties", level=3)
    document.add_paragraph("Sungold", style="List Bullet")
    document.add_paragraph("Sweet million", style="List Bullet 2")
    document.add_paragraph("Harvest", style="List Number")
    document.add_paragraph("Store", style="List Number")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(0, 0).text = "Crop and month"
    table.cell(0, 2).text = "Kg"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 0).text = "Tomato"
    table.cell(1, 1).text = "May"
    table.cell(1, 2).text = "12"
    table.cell(2, 1).text = "June"
    table.cell(2, 2).text = "30"
    document.add_picture(io.BytesIO(picture_with_text()), width=Inches(3))
    _set_alt_text(document, "Logo with text")
    document.add_picture(io.BytesIO(_tiny_icon()), width=Inches(0.2))
    document.add_paragraph("The end.")
    document.save(str(path))
    _add_footnotes_part(path)
    return path


def _footnote_reference(paragraph: "docx.text.paragraph.Paragraph", note_id: int) -> None:
    run = paragraph.add_run()
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), str(note_id))
    run._r.append(reference)


def _set_alt_text(document: "docx.document.Document", text: str) -> None:
    properties = document.element.body.findall(".//" + qn("wp:docPr"))
    properties[-1].set("descr", text)


def _add_footnotes_part(path: Path) -> None:
    rel = (
        '<Relationship Id="rIdFootnotes" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/>'
    )
    override = (
        '<Override PartName="/word/footnotes.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/>'
    )

    def edit(name: str, data: bytes) -> bytes:
        if name == "word/_rels/document.xml.rels":
            return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        if name == "[Content_Types].xml":
            return data.replace(b"</Types>", override.encode() + b"</Types>")
        return data

    rewrite_member(path, edit, extra={"word/footnotes.xml": _FOOTNOTES_XML.encode()})


def rewrite_member(
    path: Path,
    edit: "object",
    extra: dict[str, bytes] | None = None,
    drop: frozenset[str] = frozenset(),
) -> None:
    """Rewrite a ZIP container in place: `edit(name, data)` for every member, `extra` members
    added, `drop` members left out."""
    source = path.with_suffix(path.suffix + ".orig")
    shutil.move(path, source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info.filename)
            new.writestr(info.filename, edit(info.filename, data))  # type: ignore[operator]
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    source.unlink()


def make_pptx(path: Path) -> Path:
    """A PPTX of three slides: a title slide; a bullet slide with two levels, a text box and
    speaker notes; a slide with a merged table and a picture with text in it."""
    deck = Presentation()
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Greenhouse review"
    cover.placeholders[1].text = "Season 2026"
    bullets = deck.slides.add_slide(deck.slide_layouts[1])
    bullets.shapes.title.text = "Findings"
    frame = bullets.placeholders[1].text_frame
    frame.text = "Yields rose"
    second = frame.add_paragraph()
    second.text = "Tomatoes doubled"
    second.level = 1
    third = frame.add_paragraph()
    third.text = "Costs fell"
    box = bullets.shapes.add_textbox(PptxInches(1), PptxInches(6.5), PptxInches(4), PptxInches(0.5))
    box.text_frame.text = "Source: field logs"
    bullets.notes_slide.notes_text_frame.text = "Mention the weather.\nThank the team."
    data = deck.slides.add_slide(deck.slide_layouts[5])
    data.shapes.title.text = "Numbers"
    shape = data.shapes.add_table(
        3, 3, PptxInches(0.5), PptxInches(1.5), PptxInches(5), Emu(1000000)
    )
    grid = shape.table
    grid.cell(0, 0).merge(grid.cell(0, 1))
    grid.cell(0, 0).text = "Crop and month"
    grid.cell(0, 2).text = "Kg"
    grid.cell(1, 0).merge(grid.cell(2, 0))
    grid.cell(1, 0).text = "Tomato"
    grid.cell(1, 1).text = "May"
    grid.cell(1, 2).text = "12"
    grid.cell(2, 1).text = "June"
    grid.cell(2, 2).text = "30"
    picture = data.shapes.add_picture(
        io.BytesIO(picture_with_text()), PptxInches(6), PptxInches(1.5), PptxInches(3)
    )
    picture._element.nvPicPr.cNvPr.set("descr", "Logo with text")
    deck.save(str(path))
    return path


def make_xlsx(path: Path) -> Path:
    """Two visible sheets and a hidden one: 'Harvest' (a header merged across two columns, a
    formula with its cached value, a date, a percentage) and 'Notes'."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Harvest"
    sheet.append(["Crop", "Amount", None, "Share"])
    sheet.merge_cells("B1:C1")
    sheet.append(["Tomato", 12, 1.5, 0.25])
    sheet.append(["Basil", 3, 2.25, 0.75])
    sheet.append(["Total", "=B2+B3", None, None])
    sheet["D2"].number_format = "0%"
    sheet["D3"].number_format = "0%"
    sheet["C2"].number_format = "0.00"
    sheet["C3"].number_format = "0.00"
    notes = workbook.create_sheet("Notes")
    notes.append(["Planted", "2026-03-01"])
    hidden = workbook.create_sheet("Secret")
    hidden.append(["do not show"])
    hidden.sheet_state = "hidden"
    workbook.save(str(path))
    _set_cached_value(path, "xl/worksheets/sheet1.xml", "B4", "15")
    return path


def _set_cached_value(path: Path, member: str, cell: str, value: str) -> None:
    """openpyxl writes formulas without a cached value; Excel would store one: add it."""

    def edit(name: str, data: bytes) -> bytes:
        if name != member:
            return data
        text = data.decode()
        start = text.index(f'<c r="{cell}"')
        end = text.index("</c>", start)
        formula = text[start:end].replace("<v></v>", "").replace("<v/>", "")
        return (text[:start] + formula + f"<v>{value}</v>" + text[end:]).encode()

    rewrite_member(path, edit)
