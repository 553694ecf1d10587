"""Tables on the local tier: merged cells, currency, header rows, borderless tables, and what
must not become a table."""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from pipeline.local.native_text import extract_native_page
from pipeline.local.table_cells import table_cell_boxes
from pipeline.local.table_gate import Rule, find_ruled_regions, read_rules
from pipeline.local.table_grid import DraftCell, DraftTable
from pipeline.local.table_partition import grid_violations, make_partition
from pipeline.local.tables import extract_tables
from pipeline.sources.pdf import open_pdf
from schemas.blocks import BlockKind, TableGrid
from schemas.rendering.markdown import table_markdown
from tests.support.table_pdfs import (
    make_banded_pdf,
    make_borderless_pdf,
    make_chart_pdf,
    make_framed_listing_pdf,
    make_header_style_pdf,
    make_ledger_pdf,
    make_nested_box_pdf,
    make_prose_and_list_pdf,
    make_rotated_table_pdf,
    make_sign_column_pdf,
    make_trailing_signs_pdf,
    make_wrapped_borderless_pdf,
)

Cell = tuple[int, int, int, int, str, bool]
"""row, col, row_span, col_span, text, header."""


def _cells(grid: TableGrid) -> list[Cell]:
    return [(c.row, c.col, c.row_span, c.col_span, c.text, c.header) for c in grid.cells]


def _only_table(path: Path) -> TableGrid:
    (table,) = extract_tables(pymupdf.open(path)[0])
    return table.grid


def test_merged_header_and_currency_in_the_amount_cell(tmp_path: Path) -> None:
    path = tmp_path / "ledger.pdf"
    make_ledger_pdf(path)
    grid = _only_table(path)
    assert (grid.n_rows, grid.n_cols, grid.header_rows) == (4, 4, 2)
    assert _cells(grid) == [
        (0, 0, 2, 1, "Item", True),
        (0, 1, 1, 2, "Quarter", True),
        (0, 3, 2, 1, "Amount", True),
        (1, 1, 1, 1, "Q1", True),
        (1, 2, 1, 1, "Q2", True),
        (2, 0, 1, 1, "Seeds", False),
        (2, 1, 1, 1, "12", False),
        (2, 2, 1, 1, "15", False),
        (2, 3, 1, 1, "$1,200.00", False),
        (3, 0, 1, 1, "Tools", False),
        (3, 1, 1, 1, "3", False),
        (3, 2, 1, 1, "4", False),
        (3, 3, 1, 1, "$85.50", False),
    ]
    assert table_markdown(grid) == (
        "<table><thead>"
        '<tr><th rowspan="2">Item</th><th colspan="2">Quarter</th><th rowspan="2">Amount</th></tr>'
        "<tr><th>Q1</th><th>Q2</th></tr>"
        "</thead><tbody>"
        "<tr><td>Seeds</td><td>12</td><td>15</td><td>$1,200.00</td></tr>"
        "<tr><td>Tools</td><td>3</td><td>4</td><td>$85.50</td></tr>"
        "</tbody></table>"
    )


def test_the_page_markdown_places_the_table_between_its_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "ledger.pdf"
    make_ledger_pdf(path)
    data = extract_native_page(open_pdf(path), 0).data
    assert [block.kind == BlockKind.TABLE for block in data.blocks] == [False, True, False]
    table = data.blocks[1].table
    assert table is not None
    rendered = table_markdown(table)
    before, after = data.markdown.split(rendered)
    assert before.rstrip().endswith("Purchases this year")
    assert after.strip() == "Totals are net of tax."


def test_a_column_of_currency_signs_joins_the_amounts(tmp_path: Path) -> None:
    path = tmp_path / "signs.pdf"
    make_sign_column_pdf(path)
    grid = _only_table(path)
    assert (grid.n_rows, grid.n_cols, grid.header_rows) == (3, 2, 1)
    assert _cells(grid) == [
        (0, 0, 1, 1, "Item", True),
        (0, 1, 1, 1, "Amount", True),
        (1, 0, 1, 1, "Seeds", False),
        (1, 1, 1, 1, "£1,200.00", False),
        (2, 0, 1, 1, "Tools", False),
        (2, 1, 1, 1, "£85.50", False),
    ]
    assert table_markdown(grid) == (
        "| Item | Amount |\n| --- | --- |\n| Seeds | £1,200.00 |\n| Tools | £85.50 |"
    )


def test_signs_after_the_amounts_or_at_the_end_of_the_label_join_the_amounts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "trailing.pdf"
    make_trailing_signs_pdf(path)
    suffixed, labelled = extract_tables(pymupdf.open(path)[0])
    assert (suffixed.grid.n_cols, suffixed.grid.header_rows) == (2, 1)
    assert suffixed.grid.rows() == [
        ["Item", "Price"],
        ["Seeds", "1.200,00 £"],
        ["Tools", "85,50 £"],
    ]
    assert (labelled.grid.n_cols, labelled.grid.header_rows) == (2, 0)
    assert labelled.grid.rows() == [["Total", "$1,285.50"], ["Tax", "$64.30"]]


@pytest.mark.parametrize(("style", "header_rows"), [("bold", 1), ("fill", 1), ("rule", 1)])
def test_a_first_row_styled_apart_is_the_header(
    tmp_path: Path, style: str, header_rows: int
) -> None:
    path = tmp_path / f"{style}.pdf"
    make_header_style_pdf(path, style)
    grid = _only_table(path)
    assert grid.header_rows == header_rows
    assert [cell.text for cell in grid.cells if cell.header] == ["Name", "Colour", "Season"]
    assert grid.rows()[1] == ["Basil", "Green", "Summer"]


def test_a_first_row_like_the_others_is_not_a_header(tmp_path: Path) -> None:
    path = tmp_path / "plain.pdf"
    make_header_style_pdf(path, "plain")
    grid = _only_table(path)
    assert grid.header_rows == 0
    assert [cell for cell in grid.cells if cell.header] == []


def test_a_header_line_above_the_rules_becomes_the_first_row(tmp_path: Path) -> None:
    path = tmp_path / "above.pdf"
    make_header_style_pdf(path, "above")
    (table,) = extract_tables(pymupdf.open(path)[0])
    grid = table.grid
    assert (grid.n_rows, grid.n_cols, grid.header_rows) == (4, 3, 1)
    assert grid.rows() == [
        ["Name", "Colour", "Season"],
        ["Basil", "Green", "Summer"],
        ["Kale", "Purple", "Winter"],
        ["Leek", "White", "Autumn"],
    ]
    assert table.bbox[1] < 110 < table.bbox[3]


def test_a_borderless_numeric_table_is_found(tmp_path: Path) -> None:
    path = tmp_path / "borderless.pdf"
    make_borderless_pdf(path)
    grid = _only_table(path)
    assert grid.header_rows == 1
    assert grid.rows() == [
        ["Crop", "Rows", "Yield kg", "Price"],
        ["Tomatoes", "12", "340", "2.80"],
        ["Beans", "8", "120", "3.10"],
        ["Squash", "5", "410", "1.25"],
        ["Peppers", "6", "95", "4.40"],
    ]
    text = extract_native_page(open_pdf(path), 0).data.text
    assert text.startswith("The harvest of the season by crop:")
    assert text.endswith("Prices are per kilogram.")


def test_two_column_prose_and_a_list_are_not_tables(tmp_path: Path) -> None:
    path = tmp_path / "prose.pdf"
    make_prose_and_list_pdf(path)
    assert extract_tables(pymupdf.open(path)[0]) == []


@pytest.mark.parametrize("gridlines", [False, True])
def test_a_chart_drawn_with_lines_is_not_a_table(tmp_path: Path, gridlines: bool) -> None:
    path = tmp_path / "chart.pdf"
    make_chart_pdf(path, gridlines=gridlines)
    page = pymupdf.open(path)[0]
    assert extract_tables(page) == []
    assert len(find_ruled_regions(read_rules(page).rules)) == (1 if gridlines else 0)


def test_a_framed_listing_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "listing.pdf"
    make_framed_listing_pdf(path)
    page = pymupdf.open(path)[0]
    assert len(find_ruled_regions(read_rules(page).rules)) == 1
    assert extract_tables(page) == []


def test_ruled_cells_come_from_the_gate_rules_without_find_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.pdf"
    make_ledger_pdf(path)
    page = pymupdf.open(path)[0]
    calls: list[Any] = []
    monkeypatch.setattr(pymupdf.Page, "find_tables", lambda *args, **kwargs: calls.append(1))
    (table,) = extract_tables(page)
    assert calls == []
    assert table.bbox == (72.0, 130.0, 480.0, 218.0)
    assert [cell.bbox for cell in table.grid.cells[:3]] == [
        (72.0, 130.0, 200.0, 174.0),
        (200.0, 130.0, 340.0, 152.0),
        (340.0, 130.0, 480.0, 174.0),
    ]


def test_words_passed_by_the_caller_are_used(tmp_path: Path) -> None:
    path = tmp_path / "signs.pdf"
    make_sign_column_pdf(path)
    page = pymupdf.open(path)[0]
    words = [word for word in page.get_text("words") if word[4] != "Tools"]
    (table,) = extract_tables(page, words=words)
    assert table.grid.rows()[2] == ["", "£85.50"]


@pytest.mark.parametrize(("rotation", "drawn_for_display"), [(90, False), (90, True), (270, True)])
def test_a_table_on_a_rotated_page_is_read_where_its_text_runs_upright(
    tmp_path: Path, rotation: int, drawn_for_display: bool
) -> None:
    path = tmp_path / "rotated.pdf"
    make_rotated_table_pdf(path, rotation, drawn_for_display)
    page = pymupdf.open(path)[0]
    assert page.rotation == rotation
    (table,) = extract_tables(page)
    assert table.grid.rows() == [["Item", "Price"], ["Seeds", "4.50"], ["Tools", "85.50"]]
    assert table.grid.header_rows == 1
    words = page.get_text("words")
    x0, y0, x1, y1 = table.bbox
    inside = [
        w[4] for w in words if x0 <= (w[0] + w[2]) / 2 <= x1 and y0 <= (w[1] + w[3]) / 2 <= y1
    ]
    assert sorted(inside) == ["4.50", "85.50", "Item", "Price", "Seeds", "Tools"]


def test_rules_open_at_the_sides_still_close_their_outer_cells() -> None:
    rules = [Rule(True, 0.0, y, 30.0, y, 0.5) for y in (0.0, 10.0, 20.0)]
    rules += [Rule(False, x, 0.0, x, 20.0, 0.5) for x in (10.0, 20.0)]
    (cells,) = table_cell_boxes(rules)
    assert sorted(cells) == [
        (0.0, 0.0, 10.0, 10.0),
        (0.0, 10.0, 10.0, 20.0),
        (10.0, 0.0, 20.0, 10.0),
        (10.0, 10.0, 20.0, 20.0),
        (20.0, 0.0, 30.0, 10.0),
        (20.0, 10.0, 30.0, 20.0),
    ]


def assert_partition(grid: TableGrid) -> None:
    """Every position of the grid is covered by exactly one cell's span, none outside it."""
    covered = [
        (row, col)
        for cell in grid.cells
        for row in range(cell.row, cell.row + cell.row_span)
        for col in range(cell.col, cell.col + cell.col_span)
    ]
    expected = [(row, col) for row in range(grid.n_rows) for col in range(grid.n_cols)]
    assert sorted(covered) == expected


HEADER_STYLES = ("bold", "fill", "rule", "above", "plain")
GENERATED: list[tuple[str, Callable[[Path], None]]] = [
    ("ledger", make_ledger_pdf),
    ("signs", make_sign_column_pdf),
    ("trailing", make_trailing_signs_pdf),
    ("borderless", make_borderless_pdf),
    ("wrapped", make_wrapped_borderless_pdf),
    ("prose", make_prose_and_list_pdf),
    ("listing", make_framed_listing_pdf),
    ("nested", make_nested_box_pdf),
    ("banded", make_banded_pdf),
    *((style, partial(make_header_style_pdf, style=style)) for style in HEADER_STYLES),
    ("chart", partial(make_chart_pdf, gridlines=True)),
    ("rotated", partial(make_rotated_table_pdf, rotation=90, drawn_for_display=True)),
]


@pytest.mark.parametrize(("name", "make"), GENERATED)
def test_every_generated_table_is_a_partition_of_its_grid(
    tmp_path: Path, name: str, make: Callable[[Path], None]
) -> None:
    path = tmp_path / f"{name}.pdf"
    make(path)
    document = pymupdf.open(path)
    for index in range(document.page_count):
        for table in extract_tables(document.load_page(index)):
            assert_partition(table.grid)


def test_a_box_inside_a_cell_splits_it_instead_of_overlapping_it(tmp_path: Path) -> None:
    path = tmp_path / "nested.pdf"
    make_nested_box_pdf(path)
    grid = _only_table(path)
    assert (grid.n_rows, grid.n_cols, grid.header_rows) == (3, 4, 1)
    assert _cells(grid) == [
        (0, 0, 1, 1, "Line", True),
        (0, 1, 1, 2, "Item", True),
        (0, 3, 1, 1, "Amount", True),
        (1, 0, 1, 1, "8a", False),
        (1, 1, 1, 1, "Interest", False),
        (1, 2, 1, 1, "8b", False),
        (1, 3, 1, 1, "40.00", False),
        (2, 0, 1, 1, "9", False),
        (2, 1, 1, 2, "Dividends", False),
        (2, 3, 1, 1, "12.50", False),
    ]


def test_overlaps_are_resolved_in_reading_order_and_holes_filled() -> None:
    table = DraftTable(
        bbox=(0.0, 0.0, 30.0, 30.0),
        col_edges=[0.0, 10.0, 20.0, 30.0],
        row_edges=[0.0, 10.0, 20.0, 30.0],
        cells=[
            DraftCell(0, 0, (0.0, 0.0, 20.0, 20.0), row_span=2, col_span=2, text="A"),
            DraftCell(1, 1, (10.0, 10.0, 30.0, 20.0), col_span=2, text="B"),
            DraftCell(0, 2, (20.0, 0.0, 30.0, 30.0), row_span=4, text="C"),
            DraftCell(2, 1, (10.0, 20.0, 20.0, 30.0), col_span=2, text="D"),
        ],
    )
    spans = [(c.row, c.col, c.row + c.row_span, c.col + c.col_span) for c in table.cells]
    assert grid_violations(3, 3, spans) == 5
    make_partition(table)
    assert [(c.row, c.col, c.row_span, c.col_span, c.text) for c in table.cells] == [
        (0, 0, 2, 2, "A\nB"),
        (0, 2, 3, 1, "C"),
        (2, 0, 1, 1, ""),
        (2, 1, 1, 1, "D"),
    ]
    assert table.cells[2].bbox == (0.0, 20.0, 10.0, 30.0)


def test_a_ruled_band_of_stacked_numbers_splits_into_its_printed_rows(tmp_path: Path) -> None:
    path = tmp_path / "banded.pdf"
    make_banded_pdf(path)
    banded, wrapped = extract_tables(pymupdf.open(path)[0])
    assert (banded.grid.n_rows, banded.grid.n_cols, banded.grid.header_rows) == (5, 4, 1)
    assert _cells(banded.grid) == [
        (0, 0, 1, 1, "Layers", True),
        (0, 1, 1, 1, "Format", True),
        (0, 2, 1, 1, "Score", True),
        (0, 3, 1, 1, "Time", True),
        (1, 0, 2, 1, "6", False),
        (1, 1, 1, 1, "OTSL", False),
        (1, 2, 1, 1, "0.965", False),
        (1, 3, 1, 1, "2.73", False),
        (2, 1, 1, 1, "HTML", False),
        (2, 2, 1, 1, "0.969", False),
        (2, 3, 1, 1, "5.39", False),
        (3, 0, 2, 1, "4", False),
        (3, 1, 1, 1, "OTSL", False),
        (3, 2, 1, 1, "0.938", False),
        (3, 3, 1, 1, "1.97", False),
        (4, 1, 1, 1, "HTML", False),
        (4, 2, 1, 1, "0.952", False),
        (4, 3, 1, 1, "3.77", False),
    ]
    assert [cell.bbox for cell in banded.grid.cells[5:7]] == [
        (150.0, 122.0, 230.0, 138.62),
        (230.0, 122.0, 310.0, 138.62),
    ]
    assert wrapped.grid.n_rows == 3
    assert wrapped.grid.rows()[1] == ["Basil", "sweet and\nfragrant", "pesto and\nsalads", "summer"]


def test_a_borderless_cell_wrapped_onto_a_second_line_stays_in_its_row(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.pdf"
    make_wrapped_borderless_pdf(path)
    (table,) = extract_tables(pymupdf.open(path)[0])
    assert (table.grid.n_rows, table.grid.n_cols, table.grid.header_rows) == (6, 4, 1)
    assert table.grid.rows() == [
        ["Crop", "Variety", "Rows", "Yield kg"],
        ["Tomatoes", "Gardener's Delight", "12", "340"],
        ["Beans", "Cobra climbing\nfrench bean", "8", "120"],
        ["Squash", "Crown Prince", "5", "410"],
        ["Leeks", "Musselburgh", "", ""],
        ["Sweet\npeppers", "Bell Boy\nF1 hybrid", "6", "95"],
    ]
    assert table.bbox == (72.0, 109.25, 410.0, 236.99)
