"""Generated PDFs for the table tests: ruled tables with merged cells, currency columns and
styled headers, a borderless table, prose in two columns, a list and a chart made of lines."""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pymupdf

__all__ = [
    "TableCell",
    "draw_ruled_table",
    "make_banded_pdf",
    "make_borderless_pdf",
    "make_chart_pdf",
    "make_framed_listing_pdf",
    "make_header_style_pdf",
    "make_ledger_pdf",
    "make_nested_box_pdf",
    "make_prose_and_list_pdf",
    "make_rotated_table_pdf",
    "make_sign_column_pdf",
    "make_trailing_signs_pdf",
    "make_wrapped_borderless_pdf",
]

_FONT_SIZE = 10.0
_PADDING = 5.0


@dataclass(frozen=True)
class TableCell:
    """A cell to draw: its anchor, spans and text; `sign` is printed left-aligned with the
    text right-aligned (a ledger amount); `fill` shades the cell."""

    row: int
    col: int
    text: str
    row_span: int = 1
    col_span: int = 1
    bold: bool = False
    sign: str = ""
    fill: tuple[float, float, float] | None = None


def draw_ruled_table(
    page: pymupdf.Page,
    xs: Sequence[float],
    ys: Sequence[float],
    cells: Sequence[TableCell],
    *,
    heavy_rule_below_row: int | None = None,
) -> None:
    """Draw each cell's box (so merged cells have no inner rules) and its text."""
    for cell in cells:
        box = pymupdf.Rect(
            xs[cell.col], ys[cell.row], xs[cell.col + cell.col_span], ys[cell.row + cell.row_span]
        )
        page.draw_rect(box, color=(0, 0, 0), fill=cell.fill, width=0.5)
        font = "hebo" if cell.bold else "helv"
        baseline = box.y1 - _PADDING - 1
        if cell.sign:
            page.insert_text((box.x0 + _PADDING, baseline), cell.sign, fontsize=_FONT_SIZE)
            width = pymupdf.get_text_length(cell.text, fontname=font, fontsize=_FONT_SIZE)
            start = box.x1 - _PADDING - width
            page.insert_text((start, baseline), cell.text, fontsize=_FONT_SIZE, fontname=font)
        elif cell.text:
            start = box.x0 + _PADDING
            page.insert_text((start, baseline), cell.text, fontsize=_FONT_SIZE, fontname=font)
    if heavy_rule_below_row is not None:
        y = ys[heavy_rule_below_row + 1]
        page.draw_line((xs[0], y), (xs[-1], y), color=(0, 0, 0), width=2.5)


def _save(document: pymupdf.Document, path: Path) -> None:
    document.save(path, garbage=3, deflate=True)
    document.close()


def _new_page() -> tuple[pymupdf.Document, pymupdf.Page]:
    document = pymupdf.open()
    return document, document.new_page(width=612, height=792)


LEDGER_ROWS = [("Seeds", "12", "15", "1,200.00"), ("Tools", "3", "4", "85.50")]


def make_ledger_pdf(path: Path) -> None:
    """A ruled table: "Item" and "Amount" span two header rows, "Quarter" spans the two
    columns "Q1" and "Q2"; amounts print "$" left-aligned and the number right-aligned."""
    document, page = _new_page()
    page.insert_text((72, 100), "Purchases this year", fontsize=12, fontname="helv")
    xs = [72.0, 200.0, 270.0, 340.0, 480.0]
    ys = [130.0 + 22.0 * index for index in range(len(LEDGER_ROWS) + 3)]
    cells = [
        TableCell(0, 0, "Item", row_span=2, bold=True),
        TableCell(0, 1, "Quarter", col_span=2, bold=True),
        TableCell(0, 3, "Amount", row_span=2, bold=True),
        TableCell(1, 1, "Q1", bold=True),
        TableCell(1, 2, "Q2", bold=True),
    ]
    for offset, (item, first, second, amount) in enumerate(LEDGER_ROWS):
        row = offset + 2
        cells += [
            TableCell(row, 0, item),
            TableCell(row, 1, first),
            TableCell(row, 2, second),
            TableCell(row, 3, amount, sign="$"),
        ]
    draw_ruled_table(page, xs, ys, cells)
    page.insert_text((72, ys[-1] + 30), "Totals are net of tax.", fontsize=11, fontname="helv")
    _save(document, path)


def make_sign_column_pdf(path: Path) -> None:
    """A ruled table whose currency signs sit in a narrow ruled column of their own, under
    an "Amount" header that spans the sign and the number columns."""
    document, page = _new_page()
    xs = [72.0, 220.0, 236.0, 330.0]
    ys = [120.0 + 22.0 * index for index in range(4)]
    cells = [
        TableCell(0, 0, "Item"),
        TableCell(0, 1, "Amount", col_span=2),
        TableCell(1, 0, "Seeds"),
        TableCell(1, 1, "£"),
        TableCell(1, 2, "1,200.00"),
        TableCell(2, 0, "Tools"),
        TableCell(2, 1, "£"),
        TableCell(2, 2, "85.50"),
    ]
    draw_ruled_table(page, xs, ys, cells)
    _save(document, path)


def make_trailing_signs_pdf(path: Path) -> None:
    """Two ruled tables: signs in a ruled column after the amounts ("1.200,00" then "£"),
    and signs printed at the end of the label before the amount ("Total $" then "1,285.50")."""
    document, page = _new_page()
    after = [("Item", "Price", ""), ("Seeds", "1.200,00", "£"), ("Tools", "85,50", "£")]
    draw_ruled_table(
        page,
        [72.0, 200.0, 300.0, 316.0],
        [100.0, 122.0, 144.0, 166.0],
        [TableCell(r, c, text) for r, row in enumerate(after) for c, text in enumerate(row)],
    )
    labels = [("Total $", "1,285.50"), ("Tax $", "64.30")]
    draw_ruled_table(
        page,
        [72.0, 200.0, 300.0],
        [260.0, 282.0, 304.0],
        [TableCell(r, c, text) for r, row in enumerate(labels) for c, text in enumerate(row)],
    )
    _save(document, path)


HEADER_STYLE_ROWS = [("Name", "Colour", "Season"), ("Basil", "Green", "Summer")]
HEADER_STYLE_ROWS += [("Kale", "Purple", "Winter"), ("Leek", "White", "Autumn")]


def make_header_style_pdf(path: Path, style: str) -> None:
    """A ruled all-text 4x3 table whose first row is set apart by `style`: "bold", "fill",
    "rule" (a heavier rule below it), "above" (printed above the table's top rule, the
    body ruled below) or "plain" (nothing)."""
    document, page = _new_page()
    xs = [72.0, 200.0, 320.0, 440.0]
    rows = HEADER_STYLE_ROWS
    if style == "above":
        for col, text in enumerate(rows[0]):
            page.insert_text((xs[col] + _PADDING, 112), text, fontsize=_FONT_SIZE, fontname="helv")
        rows = rows[1:]
    ys = [120.0 + 22.0 * index for index in range(len(rows) + 1)]
    cells = [
        TableCell(
            row,
            col,
            text,
            bold=style == "bold" and row == 0,
            fill=(0.8, 0.85, 0.95) if style == "fill" and row == 0 else None,
        )
        for row, values in enumerate(rows)
        for col, text in enumerate(values)
    ]
    draw_ruled_table(page, xs, ys, cells, heavy_rule_below_row=0 if style == "rule" else None)
    _save(document, path)


BORDERLESS_ROWS = [
    ("Crop", "Rows", "Yield kg", "Price"),
    ("Tomatoes", "12", "340", "2.80"),
    ("Beans", "8", "120", "3.10"),
    ("Squash", "5", "410", "1.25"),
    ("Peppers", "6", "95", "4.40"),
]


def make_borderless_pdf(path: Path) -> None:
    """A paragraph, then a table printed without any rule (numbers right-aligned), then a
    paragraph."""
    document, page = _new_page()
    page.insert_text((72, 90), "The harvest of the season by crop:", fontsize=11, fontname="helv")
    lefts = [72.0, 200.0, 280.0, 380.0]
    for index, row in enumerate(BORDERLESS_ROWS):
        y = 120.0 + 16.0 * index
        for col, text in enumerate(row):
            if col == 0 or index == 0:
                x = lefts[col]
            else:
                width = pymupdf.get_text_length(text, fontname="helv", fontsize=_FONT_SIZE)
                x = lefts[col] + 50 - width
            page.insert_text((x, y), text, fontsize=_FONT_SIZE, fontname="helv")
    page.insert_text((72, 230), "Prices are per kilogram.", fontsize=11, fontname="helv")
    _save(document, path)


PROSE_LEFT = [
    "Raised beds warm up early in spring",
    "and drain well after heavy rain, so",
    "seedlings can go out two weeks before",
    "those planted in open ground nearby.",
    "Mulch keeps the soil moist in summer.",
]
PROSE_RIGHT = [
    "Compost added every autumn feeds the",
    "soil life through the winter months;",
    "by March it has become dark crumbly",
    "humus ready for 20 new plants in 3",
    "beds of 4 metres by 1.2 metres each.",
]
LIST_ITEMS = ["1. Sow the seeds", "2. Water them daily", "3. Thin out at 4 weeks"]


def make_prose_and_list_pdf(path: Path) -> None:
    """Two columns of prose (with some numbers in it) over a numbered list."""
    document, page = _new_page()
    for index, (left, right) in enumerate(zip(PROSE_LEFT, PROSE_RIGHT, strict=True)):
        y = 100.0 + 15.0 * index
        page.insert_text((72, y), left, fontsize=10, fontname="helv")
        page.insert_text((320, y), right, fontsize=10, fontname="helv")
    for index, item in enumerate(LIST_ITEMS):
        page.insert_text((90, 220.0 + 15.0 * index), item, fontsize=10, fontname="helv")
    _save(document, path)


def make_chart_pdf(path: Path, gridlines: bool) -> None:
    """A line chart drawn with many lines: axes, ticks with labels outside the plot, a data
    polyline and (optionally) a full grid of gridlines."""
    document, page = _new_page()
    left, top, right, bottom = 100.0, 100.0, 500.0, 400.0
    page.draw_line((left, bottom), (right, bottom), color=(0, 0, 0), width=1)
    page.draw_line((left, top), (left, bottom), color=(0, 0, 0), width=1)
    for step in range(9):
        x = left + step * 50
        page.draw_line((x, bottom), (x, bottom + 5), color=(0, 0, 0), width=0.5)
        page.insert_text((x - 6, bottom + 18), str(2000 + step), fontsize=7, fontname="helv")
        if gridlines and step:
            page.draw_line((x, top), (x, bottom), color=(0.7, 0.7, 0.7), width=0.3)
    for step in range(7):
        y = bottom - step * 50
        page.draw_line((left - 5, y), (left, y), color=(0, 0, 0), width=0.5)
        page.insert_text((left - 30, y + 3), str(step * 10), fontsize=7, fontname="helv")
        if gridlines and step:
            page.draw_line((left, y), (right, y), color=(0.7, 0.7, 0.7), width=0.3)
    points = [(left + 10 * i, bottom - 150 - 120 * ((i * 7) % 11) / 11) for i in range(41)]
    for start, end in pairwise(points):
        page.draw_line(start, end, color=(0.8, 0, 0), width=1)
    page.insert_text((left, bottom + 40), "Figure 1: Yield per year", fontsize=9, fontname="helv")
    _save(document, path)


ROTATED_ROWS = [("Item", "Price"), ("Seeds", "4.50"), ("Tools", "85.50")]


def make_rotated_table_pdf(path: Path, rotation: int, drawn_for_display: bool) -> None:
    """A page with /Rotate `rotation` and a ruled 3x2 table: drawn upright in the page's
    unrotated space, or (`drawn_for_display`) turned so that it reads upright once displayed,
    as landscape pages are."""
    source = pymupdf.open()
    landscape = source.new_page(width=792, height=612)
    cells = [
        TableCell(row, col, text)
        for row, values in enumerate(ROTATED_ROWS)
        for col, text in enumerate(values)
    ]
    draw_ruled_table(landscape, [72.0, 200.0, 300.0], [100.0, 122.0, 144.0, 166.0], cells)
    document, page = _new_page()
    if drawn_for_display:
        page.show_pdf_page(page.rect, source, 0, rotate=rotation)
    else:
        draw_ruled_table(page, [72.0, 200.0, 300.0], [100.0, 122.0, 144.0, 166.0], cells)
    page.set_rotation(rotation)
    source.close()
    _save(document, path)


LISTING = ["def add(a, b):", "    return a + b", "", "print(add(3, 5))"]


def make_framed_listing_pdf(path: Path) -> None:
    """A code listing in a frame with a title bar and a narrow gutter ruled off on its left:
    its rules close cells, but all its text is in one column."""
    document, page = _new_page()
    left, top, right, bottom = 72.0, 100.0, 400.0, 200.0
    page.draw_rect(pymupdf.Rect(left, top, right, bottom), color=(0, 0, 0), width=0.5)
    page.draw_line((left, top + 20), (right, top + 20), color=(0, 0, 0), width=0.5)
    page.draw_line((left + 12, top), (left + 12, bottom), color=(0, 0, 0), width=0.5)
    page.insert_text((left + 18, top + 14), "example.py", fontsize=9, fontname="helv")
    for index, line in enumerate(LISTING):
        page.insert_text((left + 18, top + 40 + 14 * index), line, fontsize=9, fontname="cour")
    _save(document, path)


def make_nested_box_pdf(path: Path) -> None:
    """A ruled 3x3 table with an entry box in the top right corner of its middle cell (a
    form's field): the box's rules close a cell inside another cell."""
    document, page = _new_page()
    rows = [("Line", "Item", "Amount"), ("8a", "Interest", "40.00"), ("9", "Dividends", "12.50")]
    cells = [TableCell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)]
    draw_ruled_table(page, [72.0, 200.0, 320.0, 440.0], [100.0, 122.0, 144.0, 166.0], cells)
    page.draw_rect(pymupdf.Rect(270.0, 122.0, 320.0, 138.0), color=(0, 0, 0), width=0.5)
    page.insert_text((274.0, 134.0), "8b", fontsize=_FONT_SIZE, fontname="helv")
    _save(document, path)


BANDED_ROWS = [
    ("Layers", "Format", "Score", "Time"),
    ("6", "OTSL\nHTML", "0.965\n0.969", "2.73\n5.39"),
    ("4", "OTSL\nHTML", "0.938\n0.952", "1.97\n3.77"),
]
WRAPPED_ROWS = [
    ("Herb", "Taste", "Use", "Season"),
    ("Basil", "sweet and\nfragrant", "pesto and\nsalads", "summer"),
    ("Sage", "earthy and\nbitter", "stuffing and\nbutter", "autumn"),
]


def make_banded_pdf(path: Path) -> None:
    """Two ruled tables whose rules separate bands of two printed lines: in the first, the
    first column prints one value per band (centred) and the others a number or name per
    line; in the second, text cells wrap onto two lines."""
    document, page = _new_page()
    _draw_banded(page, 100.0, BANDED_ROWS)
    _draw_banded(page, 300.0, WRAPPED_ROWS)
    _save(document, path)


def _draw_banded(page: pymupdf.Page, top: float, rows: Sequence[Sequence[str]]) -> None:
    """A ruled table: a 22-point header row, then 34-point rows of one or two lines."""
    xs = [72.0, 150.0, 230.0, 310.0, 390.0]
    ys = [top, top + 22.0, top + 56.0, top + 90.0]
    for row, values in enumerate(rows):
        page.draw_line((xs[0], ys[row]), (xs[-1], ys[row]), color=(0, 0, 0), width=0.5)
        for col, value in enumerate(values):
            lines = value.split("\n")
            middle = (ys[row] + ys[row + 1]) / 2
            first = middle + 3.5 - 6.0 * (len(lines) - 1)
            for index, line in enumerate(lines):
                at = (xs[col] + _PADDING, first + 12.0 * index)
                page.insert_text(at, line, fontsize=_FONT_SIZE, fontname="helv")
    page.draw_line((xs[0], ys[-1]), (xs[-1], ys[-1]), color=(0, 0, 0), width=0.5)
    for x in xs:
        page.draw_line((x, ys[0]), (x, ys[-1]), color=(0, 0, 0), width=0.5)


WRAPPED_BORDERLESS = [
    (("Crop",), ("Variety",), "Rows", "Yield kg"),
    (("Tomatoes",), ("Gardener's Delight",), "12", "340"),
    (("Beans",), ("Cobra climbing", "french bean"), "8", "120"),
    (("Squash",), ("Crown Prince",), "5", "410"),
    (("Leeks",), ("Musselburgh",), "", ""),
    (("Sweet", "peppers"), ("Bell Boy", "F1 hybrid"), "6", "95"),
]


def make_wrapped_borderless_pdf(path: Path) -> None:
    """A borderless table whose name cells wrap onto a second line (12 points below the
    first; rows 18 points apart), the numbers right-aligned on each row's first line."""
    document, page = _new_page()
    page.insert_text((72, 90), "What grew where:", fontsize=11, fontname="helv")
    y = 120.0
    for index, (crop, variety, rows, yield_kg) in enumerate(WRAPPED_BORDERLESS):
        for line, text in enumerate(crop):
            page.insert_text((72, y + 12 * line), text, fontsize=_FONT_SIZE, fontname="helv")
        for line, text in enumerate(variety):
            page.insert_text((160, y + 12 * line), text, fontsize=_FONT_SIZE, fontname="helv")
        for right, text in ((330.0, rows), (410.0, yield_kg)):
            width = pymupdf.get_text_length(text, fontname="helv", fontsize=_FONT_SIZE)
            x = right - 40 if index == 0 else right - width
            page.insert_text((x, y), text, fontsize=_FONT_SIZE, fontname="helv")
        y += 18.0 + 12.0 * (max(len(crop), len(variety)) - 1)
    page.insert_text((72, y + 30), "Leeks are lifted in winter.", fontsize=11, fontname="helv")
    _save(document, path)
