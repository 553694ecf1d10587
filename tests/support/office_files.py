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
from docx.text.paragraph import Paragraph
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


def _footnote_reference(paragraph: Paragraph, note_id: int) -> None:
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


def make_odt(path: Path) -> Path:
    """An ODT: a title, headings at outline levels 1 and 3, a numbered list with a bulleted
    sub-list, a table merged across (row 0) and down (column 0), a footnote, a header and
    footer, a picture with text in it (title 'Logo with text')."""
    from odf import draw, style, table, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    numbered = text.ListStyle(name="Numbered")
    numbered.addElement(text.ListLevelStyleNumber(level=1, numformat="1", numsuffix="."))
    numbered.addElement(text.ListLevelStyleBullet(level=2, bulletchar="\u2022"))
    document.automaticstyles.addElement(numbered)
    layout = style.PageLayout(name="Layout")
    document.automaticstyles.addElement(layout)
    master = style.MasterPage(name="Standard", pagelayoutname=layout)
    header, footer = style.Header(), style.Footer()
    header.addElement(text.P(text="Greenhouse handbook"))
    footer.addElement(text.P(text="Confidential"))
    master.addElement(header)
    master.addElement(footer)
    document.masterstyles.addElement(master)
    body = document.text
    title_style = style.Style(name="Title", family="paragraph")
    document.styles.addElement(title_style)
    body.addElement(text.P(stylename=title_style, text="Growing guide"))
    body.addElement(text.H(outlinelevel=1, text="Seeds"))
    sow = text.P(text="Sow in spring")
    note = text.Note(id="ftn1", noteclass="footnote")
    note.addElement(text.NoteCitation(text="1"))
    note_body = text.NoteBody()
    note_body.addElement(text.P(text="Measured at noon."))
    note.addElement(note_body)
    sow.addElement(note)
    sow.addText(" and water daily.")
    body.addElement(sow)
    body.addElement(text.H(outlinelevel=3, text="Cherry varieties"))
    steps = text.List(stylename=numbered)
    for label, children in (("Harvest", ["Sungold", "Sweet million"]), ("Store", [])):
        item = text.ListItem()
        item.addElement(text.P(text=label))
        if children:
            inner = text.List()
            for child in children:
                inner_item = text.ListItem()
                inner_item.addElement(text.P(text=child))
                inner.addElement(inner_item)
            item.addElement(inner)
        steps.addElement(item)
    body.addElement(steps)
    grid = table.Table(name="Harvest")
    grid.addElement(table.TableColumn(numbercolumnsrepeated=3))
    rows: list[list[tuple[str, int, int] | None]] = [
        [("Crop and month", 1, 2), None, ("Kg", 1, 1)],
        [("Tomato", 2, 1), ("May", 1, 1), ("12", 1, 1)],
        [None, ("June", 1, 1), ("30", 1, 1)],
    ]
    for cells in rows:
        row = table.TableRow()
        for cell in cells:
            if cell is None:
                row.addElement(table.CoveredTableCell())
                continue
            label, down, across = cell
            element = table.TableCell(numberrowsspanned=down, numbercolumnsspanned=across)
            element.addElement(text.P(text=label))
            row.addElement(element)
        grid.addElement(row)
    body.addElement(grid)
    picture = document.addPicture("Pictures/logo.png", "image/png", picture_with_text())
    frame = draw.Frame(width="6cm", height="2cm", anchortype="paragraph")
    frame.addElement(draw.Image(href=picture))
    title = svg_title("Logo with text")
    frame.addElement(title)
    holder = text.P()
    holder.addElement(frame)
    body.addElement(holder)
    body.addElement(text.P(text="The end."))
    document.save(str(path))
    return path


def svg_title(label: str) -> "object":
    """An `svg:title` element (odfpy names it `svg.Title`)."""
    from odf import svg

    element = svg.Title()
    element.addText(label)
    return element


def make_ods(path: Path) -> Path:
    """An ODS: 'Harvest' (a header merged across two columns, repeated empty columns and rows
    as LibreOffice writes them) and 'Notes'."""
    from odf import table, text
    from odf.opendocument import OpenDocumentSpreadsheet

    document = OpenDocumentSpreadsheet()
    harvest = table.Table(name="Harvest")
    rows: list[list[tuple[str, int] | None]] = [
        [("Crop", 1), ("Amount", 2), None, ("Share", 1)],
        [("Tomato", 1), ("12", 1), ("1.50", 1), ("25%", 1)],
        [("Basil", 1), ("3", 1), ("2.25", 1), ("75%", 1)],
    ]
    for cells in rows:
        row = table.TableRow()
        for cell in cells:
            if cell is None:
                row.addElement(table.CoveredTableCell())
                continue
            label, across = cell
            element = table.TableCell(numbercolumnsspanned=across)
            element.addElement(text.P(text=label))
            row.addElement(element)
        row.addElement(table.TableCell(numbercolumnsrepeated=1020))
        harvest.addElement(row)
    harvest.addElement(table.TableRow(numberrowsrepeated=1048570))
    document.spreadsheet.addElement(harvest)
    notes = table.Table(name="Notes")
    row = table.TableRow()
    for label in ("Planted", "2026-03-01"):
        element = table.TableCell()
        element.addElement(text.P(text=label))
        row.addElement(element)
    notes.addElement(row)
    document.spreadsheet.addElement(notes)
    document.save(str(path))
    return path


def make_odp(path: Path) -> Path:
    """An ODP of two slides: a title and subtitle; a title with an outline of two levels and
    speaker notes."""
    from odf import draw, presentation, style, text
    from odf.namespaces import PRESENTATIONNS
    from odf.opendocument import OpenDocumentPresentation

    document = OpenDocumentPresentation()
    layout = style.PageLayout(name="Layout")
    document.automaticstyles.addElement(layout)
    master = style.MasterPage(name="Default", pagelayoutname=layout)
    document.masterstyles.addElement(master)

    def frame(kind: str, y: str, paragraphs: list[str] | None = None) -> "object":
        element = draw.Frame(x="1cm", y=y, width="20cm", height="3cm")
        element.setAttrNS(PRESENTATIONNS, "class", kind)
        box = draw.TextBox()
        for paragraph in paragraphs or []:
            box.addElement(text.P(text=paragraph))
        element.addElement(box)
        return element

    cover = draw.Page(masterpagename=master)
    cover.addElement(frame("subtitle", "8cm", ["Season 2026"]))
    cover.addElement(frame("title", "2cm", ["Greenhouse review"]))
    document.presentation.addElement(cover)
    findings = draw.Page(masterpagename=master)
    findings.addElement(frame("title", "1cm", ["Findings"]))
    outline = draw.Frame(x="1cm", y="5cm", width="20cm", height="9cm")
    outline.setAttrNS(PRESENTATIONNS, "class", "outline")
    box = draw.TextBox()
    points = text.List()
    first = text.ListItem()
    first.addElement(text.P(text="Yields rose"))
    inner = text.List()
    inner_item = text.ListItem()
    inner_item.addElement(text.P(text="Tomatoes doubled"))
    inner.addElement(inner_item)
    first.addElement(inner)
    points.addElement(first)
    last = text.ListItem()
    last.addElement(text.P(text="Costs fell"))
    points.addElement(last)
    box.addElement(points)
    outline.addElement(box)
    findings.addElement(outline)
    notes = presentation.Notes()
    notes.addElement(frame("notes", "15cm", ["Mention the weather."]))
    findings.addElement(notes)
    document.presentation.addElement(findings)
    document.save(str(path))
    return path
