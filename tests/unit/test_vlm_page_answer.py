"""Reading the model's page answer: table grids with spans, the model's quirks, and the inverse."""

import json

import pymupdf
import pytest

from pipeline.local.native_text import extract_native_page
from pipeline.model.answers import schema_errors
from pipeline.model.page_answer import (
    answer_from_blocks,
    normalise_box,
    page_content_from_answer,
)
from pipeline.model.prompts import PAGE_CONTENT_SCHEMA
from pipeline.model.table_answer import grid_from_answer, grid_to_answer
from schemas.blocks import Block, BlockKind, GridCell, TableGrid
from schemas.extractions import PageSize
from tests.support.documents import TABLE_HEADER, TABLE_ROWS, make_text_pdf

PAGE = PageSize(width=500, height=1000)


def cells(grid):
    return [(c.row, c.col, c.row_span, c.col_span, c.text, c.header) for c in grid.cells]


def test_a_grid_with_a_header_and_merged_cells():
    grid = grid_from_answer(
        {
            "header_rows": 1,
            "rows": [["Year", "Sales", ""], ["2024", "1", "2"], ["", "3", "4"]],
            "spans": [[0, 1, 1, 2], [1, 0, 2, 1]],
        }
    )
    assert grid is not None
    assert (grid.n_rows, grid.n_cols, grid.header_rows) == (3, 3, 1)
    assert cells(grid) == [
        (0, 0, 1, 1, "Year", True),
        (0, 1, 1, 2, "Sales", True),
        (1, 0, 2, 1, "2024", False),
        (1, 1, 1, 1, "1", False),
        (1, 2, 1, 1, "2", False),
        (2, 1, 1, 1, "3", False),
        (2, 2, 1, 1, "4", False),
    ]
    assert grid.rows() == [["Year", "Sales", None], ["2024", "1", "2"], [None, "3", "4"]]


def test_ragged_rows_are_padded_and_empty_rows_dropped_but_blank_cells_kept():
    grid = grid_from_answer(
        {"header_rows": 2, "rows": [["a", "", "b"], [], ["", "", ""], [" c "], ["d", ""]]}
    )
    assert grid is not None
    assert grid.rows() == [["a", "", "b"], ["", "", ""], ["c", "", ""], ["d", "", ""]]
    assert grid.header_rows == 1  # the second header row was []
    assert (grid.n_rows, grid.n_cols, len(grid.cells)) == (4, 3, 12)


def test_spans_are_clipped_and_overlapping_or_degenerate_ones_ignored():
    grid = grid_from_answer(
        {
            "rows": [["a", "b"], ["c", "d"]],
            "spans": [[0, 0, 5, 1], [0, 0, 1, 2], [1, 1, 1, 1], [3, 0, 1, 2], [0, 1, 0, 0]],
        }
    )
    assert grid is not None
    assert cells(grid) == [
        (0, 0, 2, 1, "a", False),
        (0, 1, 1, 1, "b", False),
        (1, 1, 1, 1, "d", False),
    ]


def test_a_merged_cell_takes_the_text_written_where_it_covers():
    grid = grid_from_answer({"rows": [["", "total"], ["x", "y"]], "spans": [[0, 0, 1, 2]]})
    assert grid is not None
    assert cells(grid)[0] == (0, 0, 1, 2, "total", False)


def test_an_empty_row_a_merged_cell_covers_is_kept():
    grid = grid_from_answer({"rows": [["a", "b"], []], "spans": [[0, 0, 2, 1]]})
    assert grid is not None
    assert (grid.n_rows, grid.rows()) == (2, [["a", "b"], [None, ""]])


@pytest.mark.parametrize("table", [{"rows": []}, {"rows": [[], ["", " "]]}, {"rows": [[]]}])
def test_a_grid_without_text_is_none(table):
    assert grid_from_answer(table) is None


def test_the_models_quirks_in_blocks():
    answer = {
        "blocks": [
            {"kind": "section_header", "bbox": [0, 0, 10, 10], "text": " Intro ", "level": 9},
            {"kind": "title", "bbox": [0, 0, 10, 10], "text": "T"},
            {"kind": "paragraph", "bbox": [0, 0, 10, 10], "text": "p", "level": 2, "depth": 3},
            {"kind": "list_item", "bbox": [0, 0, 10, 10], "text": "i", "marker": " ", "depth": 2},
            {"kind": "table", "bbox": [0, 0, 10, 10], "text": "a table in words"},
            {"kind": "table", "bbox": [0, 0, 10, 10], "text": "", "table": {"rows": [[""]]}},
            {"kind": "paragraph", "bbox": [0, 0, 10, 10], "text": "q", "table": {"rows": [["z"]]}},
            {"kind": "paragraph", "bbox": [0, 0, 10, 10], "text": "  "},
            {"kind": "figure", "bbox": [0, 0, 10, 10], "text": ""},
            {"kind": "table", "bbox": [0, 0, 10, 10], "text": "dup", "table": {"rows": [["v"]]}},
        ]
    }
    # Only the level breaks the schema (the engine refuses it); reading clamps it anyway.
    problems = schema_errors(answer, PAGE_CONTENT_SCHEMA)
    assert problems == ["at /blocks/0/level: 9 is greater than the maximum of 6"]
    blocks = page_content_from_answer(answer, PAGE, "m").blocks
    summary = [(b.index, b.kind.value, b.text, b.level, b.marker, b.depth) for b in blocks]
    assert summary == [
        (0, "section_header", "Intro", 6, None, 0),
        (1, "title", "T", None, None, 0),
        (2, "paragraph", "p", None, None, 0),
        (3, "list_item", "i", None, None, 2),
        (4, "paragraph", "a table in words", None, None, 0),
        (5, "paragraph", "q", None, None, 0),
        (6, "figure", "", None, None, 0),
        (7, "table", "", None, None, 0),
    ]
    assert [b.table is not None for b in blocks] == [False] * 7 + [True]


def test_blocks_become_the_answer_a_faithful_model_gives_and_read_back_the_same():
    grid = TableGrid(
        n_rows=2,
        n_cols=2,
        header_rows=1,
        cells=[
            GridCell(row=0, col=0, col_span=2, text="Head", header=True),
            GridCell(row=1, col=0, text="a"),
            GridCell(row=1, col=1, text="b"),
        ],
    )
    blocks = [
        Block(index=0, kind=BlockKind.TITLE, text="Title", bbox=(50, 100, 450, 150), level=1),
        Block(index=1, kind=BlockKind.LIST_ITEM, text="one", bbox=(50, 200, 450, 220), marker="1."),
        Block(index=2, kind=BlockKind.LIST_ITEM, text="sub", bbox=(60, 220, 450, 240), depth=1),
        Block(index=3, kind=BlockKind.TABLE, bbox=(50, 300, 450, 500), table=grid),
        Block(index=4, kind=BlockKind.FOOTNOTE, text="1 Note.", bbox=(50, 900, 450, 920)),
    ]
    answer = answer_from_blocks(blocks, PAGE)
    assert json.dumps(answer, separators=(",", ":")) == (
        '{"blocks":[{"kind":"title","bbox":[100,100,900,150],"text":"Title","level":1},'
        '{"kind":"list_item","bbox":[100,200,900,220],"text":"one","marker":"1."},'
        '{"kind":"list_item","bbox":[120,220,900,240],"text":"sub","depth":1},'
        '{"kind":"table","bbox":[100,300,900,500],"text":"","table":{"header_rows":1,'
        '"rows":[["Head",""],["a","b"]],"spans":[[0,0,1,2]]}},'
        '{"kind":"footnote","bbox":[100,900,900,920],"text":"1 Note."}]}'
    )
    assert schema_errors(answer, PAGE_CONTENT_SCHEMA) == []
    assert page_content_from_answer(answer, PAGE, "m").blocks == blocks
    assert grid_to_answer(grid) == answer["blocks"][3]["table"]


def test_a_box_is_normalised_to_integers_within_0_to_1000():
    assert normalise_box((-5.0, 0.4, 250.0, 1200.0), PAGE) == [0, 0, 500, 1000]


def test_a_local_tier_page_with_a_table_is_said_once_and_read_back(tmp_path):
    pdf = tmp_path / "table.pdf"
    make_text_pdf(pdf, 1, table_on_page=1)
    with pymupdf.open(pdf) as document:
        data = extract_native_page(document, 0).data
    answer = answer_from_blocks(data.blocks, data.page)
    assert schema_errors(answer, PAGE_CONTENT_SCHEMA) == []
    (table,) = [block for block in answer["blocks"] if block["kind"] == "table"]
    assert (table["text"], table["table"]["rows"]) == ("", [TABLE_HEADER, *TABLE_ROWS])
    written = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
    for cell in TABLE_ROWS[0]:
        assert written.count(f'"{cell}"') == 1  # in the grid, nowhere else
    back = page_content_from_answer(answer, data.page, data.engine)
    assert (back.text, back.markdown) == (data.text, data.markdown)
    assert [b.kind for b in back.blocks] == [b.kind for b in data.blocks]
