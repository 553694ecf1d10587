"""Evaluation pages the project generates itself, so part of the evaluation needs no corpus.

They reproduce, on purpose, what real PDFs do to text extraction:

- `generated:report` (2 pages): a title, numbered section and subsection headings, two
  columns, a running header, a page footer, a "Downloaded from" line, an arXiv-style side
  banner, a word hyphenated across a line end, author names whose accents are separate
  marks drawn over the letters (as TeX does), a caption whose words are set so tight that the
  text layer has no spaces, and a ruled table with merged header cells.
- `generated:scan` (1 page): a scanned page (an image) under an invisible OCR text layer
  whose lines are stored out of reading order.

Sources are opened with `open_source`, which also opens corpus files (`pdf/...` paths).
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

GENERATED_PREFIX = "generated:"
PAGE_WIDTH, PAGE_HEIGHT = 612, 792
LEFT, RIGHT_COLUMN, COLUMN_WIDTH = 72.0, 316.0, 224.0
BODY_SIZE, LEADING = 10.0, 13.0

RUNNING_HEADER = "Greenhouse Field Notes, Volume 7"
RUNNING_HEADER_RIGHT = "Internal circulation only"
DOWNLOAD_LINE = "Downloaded from https://fieldnotes.example.org on 3 March 2026"
SIDE_BANNER = "arXiv:2611.04217v2 [cs.DL] 14 Nov 2026"

REPORT_PAGE_ONE_LEFT = [
    "Glasshouse tomatoes are grown in three regions",
    "that differ in light, heating and water. This",
    "report compares their yield over two seasons",
    "and explains why the southern region lags.",
    "Records kept on paper before 2024 were lost in",
    "a flood, so the older measurements are irretrie-",
    "vably gone and every figure here starts in 2025.",
    "Growers reported weekly through the cooperative",
    "portal, which checks each entry against the",
    "weighbridge tickets of the packing station.",
]
REPORT_PAGE_ONE_RIGHT = [
    "All sites use rockwool slabs and drip irrigation",
    "with recirculated drain water. Heating differs",
    "most: Westland burns gas in combined heat and",
    "power units, Brabant uses geothermal wells and",
    "the southern sites rely on passive solar gain.",
    "Each site counted harvested trusses by hand on",
    "Mondays and weighed them on calibrated scales.",
]
REPORT_PAGE_TWO_BODY = [
    "Yield rose in Westland and in the south but fell slightly in Brabant, where a",
    "warm spring brought whitefly early. The table gives tonnes per hectare.",
]
REPORT_PAGE_TWO_AFTER = [
    "The southern region keeps the most growers on the smallest plots, which",
    "explains much of its lower yield per hectare.",
]
TABLE_ROWS = [
    ["Westland", "41.2", "44.8", "118"],
    ["Almeria", "27.5", "29.1", "342"],
    ["Brabant", "38.9", "37.6", "95"],
]
SQUEEZED_CAPTION = "Figure 2: Composition of the harvest sample for Westland"
SCAN_LINES = [
    "Minutes of the Irrigation Committee",
    "The committee met on 12 February to review the winter water budget.",
    "Drain water from the east block will be recirculated from March onwards.",
    "The pump in greenhouse four failed twice and will be replaced in spring.",
    "Members agreed to log every valve inspection in the shared register.",
    "The next meeting is planned for the first Tuesday of April.",
]
SCAN_STORED_ORDER = [3, 0, 5, 1, 4, 2]


def open_source(corpus: Path, pdf: str) -> Any:
    """A `pymupdf.Document` for a check's `pdf`: a corpus path or a `generated:` name."""
    import pymupdf

    if pdf.startswith(GENERATED_PREFIX):
        name = pdf.removeprefix(GENERATED_PREFIX)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated document {name!r}")
        return pymupdf.open(stream=GENERATORS[name](), filetype="pdf")
    return pymupdf.open(corpus / pdf, filetype="pdf")


def report_pdf() -> bytes:
    import pymupdf

    document = pymupdf.open()
    first = document.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
    _furniture(first, 1)
    first.insert_text((28, 560), SIDE_BANNER, fontsize=14, rotate=90, color=(0.5, 0.5, 0.5))
    title = "Seasonal Yield of Glasshouse Tomatoes"
    first.insert_text((LEFT, 96), title, fontsize=20, fontname="hebo")
    _accented_line(first, LEFT, 122, "J\u00b4an M\u00b4enard and Zo\u00a8e Br\u00a8ull")
    first.insert_text((LEFT, 160), "1 Introduction", fontsize=14, fontname="hebo")
    _lines(first, LEFT, 184, REPORT_PAGE_ONE_LEFT)
    first.insert_text((RIGHT_COLUMN, 184), "1.1 Field sites", fontsize=11, fontname="hebo")
    _lines(first, RIGHT_COLUMN, 184 + 1.5 * LEADING, REPORT_PAGE_ONE_RIGHT)

    second = document.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
    _furniture(second, 2)
    second.insert_text((LEFT, 96), "2 Results", fontsize=14, fontname="hebo")
    _lines(second, LEFT, 120, REPORT_PAGE_TWO_BODY)
    second.insert_text((LEFT, 160), "2.1 Yield by region", fontsize=11, fontname="hebo")
    bottom = _merged_header_table(second, 176)
    second.insert_text((LEFT, bottom + 16), "Table 1: Yield in tonnes per hectare.", fontsize=9)
    _lines(second, LEFT, bottom + 44, REPORT_PAGE_TWO_AFTER)
    _squeezed_line(second, LEFT, bottom + 90, SQUEEZED_CAPTION)
    data: bytes = document.tobytes()
    return data


def _furniture(page: Any, number: int) -> None:
    page.insert_text((LEFT, 40), RUNNING_HEADER, fontsize=8)
    page.insert_text((430, 40), RUNNING_HEADER_RIGHT, fontsize=8)
    page.draw_line((LEFT, 46), (PAGE_WIDTH - LEFT, 46), width=0.5)
    page.insert_text((280, 748), f"Page {number} of 2", fontsize=9)
    page.insert_text((LEFT, 770), DOWNLOAD_LINE, fontsize=7)


def _lines(page: Any, x: float, y: float, lines: list[str], size: float = BODY_SIZE) -> None:
    for index, line in enumerate(lines):
        page.insert_text((x, y + index * LEADING), line, fontsize=size)


def _accented_line(page: Any, x: float, y: float, spelled: str) -> None:
    """Text where a spacing accent (U+00B4, U+00A8) precedes its letter, drawn over it."""
    import pymupdf

    font = pymupdf.Font("helv")
    size = 11.0
    index = 0
    while index < len(spelled):
        char = spelled[index]
        if char in "\u00b4\u00a8" and index + 1 < len(spelled):
            letter = spelled[index + 1]
            letter_width = font.text_length(letter, size)
            accent_width = font.text_length(char, size)
            page.insert_text((x + (letter_width - accent_width) / 2, y + 1.5), char, fontsize=size)
            page.insert_text((x, y), letter, fontsize=size)
            x += letter_width
            index += 2
            continue
        page.insert_text((x, y), char, fontsize=size)
        x += font.text_length(char, size)
        index += 1


def _squeezed_line(page: Any, x: float, y: float, text: str) -> None:
    """Words kerned 0.1 em apart in one TJ array, with no space characters between them."""
    placeholder = "SQUEEZED"
    page.insert_text((x, y), placeholder, fontsize=9)
    document = page.parent
    xref = page.get_contents()[-1]
    stream = document.xref_stream(xref)
    kerned = " -100 ".join(f"({word})" for word in text.split())
    original = f"[<{placeholder.encode().hex()}>]TJ".encode()
    stream = stream.replace(original, f"[{kerned}]TJ".encode())
    document.update_stream(xref, stream)


def _merged_header_table(page: Any, top: float) -> float:
    """A ruled table whose header has cells merged across two rows and two columns."""
    columns = [LEFT, LEFT + 110, LEFT + 200, LEFT + 290, LEFT + 380]
    row_height = 20.0
    rows = 2 + len(TABLE_ROWS)
    bottom = top + rows * row_height
    for index in range(rows + 1):
        y = top + index * row_height
        start = columns[1] if index == 1 else columns[0]
        end = columns[3] if index == 1 else columns[-1]
        page.draw_line((start, y), (end, y), width=0.7)
    for index, x in enumerate(columns):
        y_start = top + row_height if index == 2 else top
        page.draw_line((x, y_start), (x, bottom), width=0.7)

    def cell(text: str, column: int, row: float, bold: bool = False) -> None:
        fontname = "hebo" if bold else "helv"
        page.insert_text(
            (columns[column] + 6, top + row * row_height + 14), text, fontsize=10, fontname=fontname
        )

    cell("Region", 0, 0.5, bold=True)
    cell("Yield (t/ha)", 1, 0, bold=True)
    cell("Growers", 3, 0.5, bold=True)
    cell("2025", 1, 1, bold=True)
    cell("2026", 2, 1, bold=True)
    for row_index, row in enumerate(TABLE_ROWS, start=2):
        for column, value in enumerate(row):
            cell(value, column, row_index)
    return bottom


def scan_pdf() -> bytes:
    """A page image of `SCAN_LINES` under invisible text stored in `SCAN_STORED_ORDER`."""
    import pymupdf

    source = pymupdf.open()
    page = source.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
    positions = []
    for index, line in enumerate(SCAN_LINES):
        size, fontname = (16.0, "hebo") if index == 0 else (11.0, "helv")
        y = 110 + index * 30
        positions.append((y, size, fontname))
        page.insert_text((LEFT, y), line, fontsize=size, fontname=fontname)
    image = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY).tobytes("png")

    document = pymupdf.open()
    scanned = document.new_page(width=PAGE_WIDTH, height=PAGE_HEIGHT)
    scanned.insert_image(scanned.rect, stream=image)
    for index in SCAN_STORED_ORDER:
        y, size, fontname = positions[index]
        scanned.insert_text(
            (LEFT, y), SCAN_LINES[index], fontsize=size, fontname=fontname, render_mode=3
        )
    data: bytes = document.tobytes()
    return data


GENERATORS: dict[str, Callable[[], bytes]] = {"report": report_pdf, "scan": scan_pdf}
