"""The office samples `make run` ingests: a DOCX handbook, a PPTX review, an XLSX workbook and
a CSV log, made with python-docx, python-pptx and openpyxl (called by generate_samples.py)."""

import io
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import openpyxl
from docx.shared import Inches
from PIL import Image, ImageDraw, ImageFont
from pptx import Presentation
from pptx.util import Inches as SlideInches

__all__ = ["make_office_samples"]

_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
_FIXED_TIME = (2026, 11, 30, 8, 0, 0)
HARVEST = [
    ("Tomatoes", 1250, 3125.0),
    ("Cucumbers", 830, 1494.0),
    ("Basil", 95, 712.5),
    ("Peppers", 410, 1230.0),
]


def _sign(text: str) -> bytes:
    """A PNG sign with `text` in it: the picture an image job reads."""
    image = Image.new("RGB", (520, 160), "white")
    draw = ImageDraw.Draw(image)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(_FONT, 56)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle((4, 4, 515, 155), outline="darkgreen", width=6)
    draw.text((30, 45), text, fill="darkgreen", font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_docx(path: Path) -> None:
    """A handbook: title, headings, a nested list, a merged table, a picture, header/footer."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Greenhouse handbook"
    section.footer.paragraphs[0].text = "Internal use"
    document.add_heading("Greenhouse handbook", level=0)
    document.add_heading("Daily routine", level=1)
    document.add_paragraph("Open the vents at dawn and close them at dusk.")
    document.add_paragraph("Check the irrigation", style="List Number")
    document.add_paragraph("Rain tanks above one third", style="List Bullet 2")
    document.add_paragraph("Record the temperatures", style="List Number")
    document.add_heading("Harvest by crop", level=1)
    table = document.add_table(rows=len(HARVEST) + 2, cols=3)
    table.style = "Table Grid"
    table.cell(0, 0).text = "Crop"
    table.cell(0, 1).merge(table.cell(0, 2)).text = "Quarter"
    for col, label in enumerate(("", "Kilograms", "Revenue (EUR)")):
        table.cell(1, col).text = label
    table.cell(0, 0).merge(table.cell(1, 0))
    for row, (crop, kilograms, revenue) in enumerate(HARVEST, start=2):
        table.cell(row, 0).text = crop
        table.cell(row, 1).text = f"{kilograms:,}"
        table.cell(row, 2).text = f"{revenue:,.2f}"
    document.add_heading("Signs", level=2)
    document.add_picture(io.BytesIO(_sign("KEEP DOOR SHUT")), width=Inches(3.5))
    document.add_paragraph("The sign on the north door.")
    document.core_properties.title = "Greenhouse handbook"
    document.core_properties.created = document.core_properties.modified = datetime(*_FIXED_TIME)
    buffer = io.BytesIO()
    document.save(buffer)
    _write_reproducibly(buffer.getvalue(), path)


def make_pptx(path: Path) -> None:
    """A review deck: a title slide, bullets with notes, a table and a picture."""
    deck = Presentation()
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Quarterly review"
    cover.placeholders[1].text = "Greenhouse, autumn 2026"
    points = deck.slides.add_slide(deck.slide_layouts[1])
    points.shapes.title.text = "What went well"
    frame = points.placeholders[1].text_frame
    frame.text = "Tomato yield up 18 %"
    detail = frame.add_paragraph()
    detail.text = "Grafted plants did best"
    detail.level = 1
    frame.add_paragraph().text = "No mains water after week two"
    points.notes_slide.notes_text_frame.text = "Thank the irrigation team."
    numbers = deck.slides.add_slide(deck.slide_layouts[5])
    numbers.shapes.title.text = "Harvest"
    shape = numbers.shapes.add_table(
        len(HARVEST) + 1, 2, SlideInches(0.5), SlideInches(1.6), SlideInches(4.5), SlideInches(2)
    )
    shape.table.cell(0, 0).text = "Crop"
    shape.table.cell(0, 1).text = "Kilograms"
    for row, (crop, kilograms, _) in enumerate(HARVEST, start=1):
        shape.table.cell(row, 0).text = crop
        shape.table.cell(row, 1).text = f"{kilograms:,}"
    numbers.shapes.add_picture(
        io.BytesIO(_sign("GROWN HERE")), SlideInches(5.5), SlideInches(1.6), SlideInches(4)
    )
    deck.core_properties.title = "Quarterly review"
    deck.core_properties.created = deck.core_properties.modified = datetime(*_FIXED_TIME)
    buffer = io.BytesIO()
    deck.save(buffer)
    _write_reproducibly(buffer.getvalue(), path)


def make_xlsx(path: Path) -> None:
    """A workbook: the harvest with a merged title row and percentages, and a notes sheet."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Harvest"
    sheet.append(["Harvest, autumn 2026"])
    sheet.merge_cells("A1:D1")
    sheet.append(["Crop", "Kilograms", "Revenue (EUR)", "Share of revenue"])
    total = sum(revenue for _, _, revenue in HARVEST)
    for crop, kilograms, revenue in HARVEST:
        sheet.append([crop, kilograms, revenue, revenue / total])
    for row in range(3, 3 + len(HARVEST)):
        sheet.cell(row, 3).number_format = "#,##0.00"
        sheet.cell(row, 4).number_format = "0.0%"
    notes = workbook.create_sheet("Notes")
    notes.append(["Date", "Note"])
    notes.append(["2026-09-01", "First frost warning"])
    notes.append(["2026-10-15", "Peppers moved inside"])
    workbook.properties.created = workbook.properties.modified = datetime(*_FIXED_TIME)
    buffer = io.BytesIO()
    workbook.save(buffer)
    _write_reproducibly(buffer.getvalue(), path)


def make_csv(path: Path) -> None:
    """A sensor log: one reading an hour for two weeks."""
    lines = ["timestamp;temperature_c;humidity_pct"]
    for hour in range(14 * 24):
        day, clock = divmod(hour, 24)
        temperature = 18 + 6 * (1 - abs(clock - 14) / 14)
        humidity = 55 + (clock * 7 + day * 3) % 20
        lines.append(f"2026-11-{day + 1:02d}T{clock:02d}:00;{temperature:.1f};{humidity}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_office_samples(folder: Path) -> None:
    """Write the four office samples into `folder`."""
    make_docx(folder / "greenhouse-handbook.docx")
    make_pptx(folder / "quarterly-review.pptx")
    make_xlsx(folder / "harvest.xlsx")
    make_csv(folder / "sensor-log.csv")


def _write_reproducibly(data: bytes, path: Path) -> None:
    """Re-pack a ZIP container with fixed member times, so regenerating changes no bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
