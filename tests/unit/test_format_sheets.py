"""Spreadsheets and delimited text: one table per sheet, merges, cached formulas, row chunks."""

import datetime as dt
from pathlib import Path

import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.errors import PipelineError
from pipeline.formats.csv_reader import CsvReader
from pipeline.formats.sheets import ROWS_PER_CHUNK, display_value
from pipeline.formats.xlsx_reader import XlsxReader
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from tests.support.office_files import make_xlsx, rewrite_member


def test_visible_sheets_become_sheet_chunks_named_by_the_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    chunks = list(chunk_file(path, MediaType.XLSX))
    assert [(c.kind, c.page_number, c.part, c.row_start, c.row_end) for c in chunks] == [
        (ChunkKind.SHEET, 1, "Harvest", 0, 4),
        (ChunkKind.SHEET, 2, "Notes", 0, 1),
    ]  # the hidden sheet 'Secret' is skipped


def test_a_sheet_is_a_table_with_merges_cached_formula_values_and_displayed_numbers(
    tmp_path: Path,
) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    reader = XlsxReader()
    harvest, notes = (reader.read(path, chunk) for chunk in reader.chunks(path, MediaType.XLSX))
    assert harvest.markdown == (
        "## Harvest\n\n"
        '<table><thead><tr><th>Crop</th><th colspan="2">Amount</th><th>Share</th></tr></thead>'
        "<tbody><tr><td>Tomato</td><td>12</td><td>1.50</td><td>25%</td></tr>"
        "<tr><td>Basil</td><td>3</td><td>2.25</td><td>75%</td></tr>"
        "<tr><td>Total</td><td>15</td><td></td><td></td></tr></tbody></table>"
    )
    assert notes.markdown == "## Notes\n\n| Planted | 2026-03-01 |\n| --- | --- |"


def test_a_sheet_whose_part_is_missing_fails_alone(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    rewrite_member(path, lambda name, data: data, drop=frozenset({"xl/worksheets/sheet2.xml"}))
    harvest, notes = chunk_file(path, MediaType.XLSX)
    assert (notes.part, notes.row_start, notes.row_end) == ("Notes", 0, 0)
    reader = XlsxReader()
    assert reader.read(path, harvest).markdown.startswith("## Harvest")
    with pytest.raises(PipelineError) as caught:
        reader.read(path, notes)
    assert caught.value.category is ErrorCategory.PAGE_ERROR
    assert "'Notes'" in caught.value.message and "missing" in caught.value.message


def test_a_workbook_that_is_no_zip_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.XLSX))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE


def test_a_100000_row_csv_is_cut_into_chunks_that_repeat_the_header(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    lines = ["id;name;value"] + [f"{i};item {i};{i * 1.5}" for i in range(100_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chunks = list(chunk_file(path, MediaType.CSV))
    assert len(chunks) == 51
    assert [(c.kind, c.row_start, c.row_end) for c in chunks[:2]] == [
        (ChunkKind.SHEET, 0, ROWS_PER_CHUNK),
        (ChunkKind.SHEET, ROWS_PER_CHUNK, 2 * ROWS_PER_CHUNK),
    ]
    assert (chunks[-1].row_start, chunks[-1].row_end) == (100_000, 100_001)
    reader = CsvReader()
    second = reader.read(path, chunks[1])
    (table,) = [b.table for b in second.blocks]
    assert table is not None
    rows = table.rows()
    assert (table.n_rows, table.header_rows) == (ROWS_PER_CHUNK + 1, 1)
    assert rows[0] == ["id", "name", "value"]
    assert rows[1] == ["1999", "item 1999", "2998.5"]
    assert rows[-1] == ["3998", "item 3998", "5997.0"]
    last = reader.read(path, chunks[-1])
    assert (
        last.markdown
        == "| id | name | value |\n| --- | --- | --- |\n| 99999 | item 99999 | 149998.5 |"
    )


def test_tsv_and_a_latin_1_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "plants.tsv"
    tsv.write_text("plant\tcolour\nrose\tred\n", encoding="utf-8")
    reader = CsvReader()
    (chunk,) = reader.chunks(tsv, MediaType.TSV)
    assert reader.read(tsv, chunk).markdown == "| plant | colour |\n| --- | --- |\n| rose | red |"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("plante,couleur\ncrème,brûlé\nthé,vert\n".encode("cp1252"))
    (chunk,) = reader.chunks(latin, MediaType.CSV)
    table = reader.read(latin, chunk).blocks[0].table
    assert table is not None and table.rows()[1] == ["crème", "brûlé"]


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (None, "General", ""),
        (True, "General", "TRUE"),
        (dt.datetime(2026, 3, 1), "yyyy-mm-dd", "2026-03-01"),
        (dt.datetime(2026, 3, 1, 8, 30), "General", "2026-03-01 08:30:00"),
        (3.0, "General", "3"),
        (0.125, "0.00%", "12.50%"),
        (1234567.5, "#,##0.00", "1,234,567.50"),
        (3125, "#,##0.00", "3,125.00"),
        (1250, "General", "1250"),
        (0.1 + 0.2, "General", "0.3"),
        ("  text ", "General", "text"),
    ],
)
def test_values_are_shown_as_a_spreadsheet_shows_them(
    value: object, number_format: str, shown: str
) -> None:
    assert display_value(value, number_format) == shown


def test_a_workbook_stored_without_a_suffix_is_read(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx").rename(tmp_path / "0f3a9c")  # as the blob store
    assert [c.part for c in chunk_file(path, MediaType.XLSX)] == ["Harvest", "Notes"]


def test_a_broken_sheet_fails_alone(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "book.xlsx")
    rewrite_member(
        path, lambda name, data: data[:-60] if name == "xl/worksheets/sheet1.xml" else data
    )
    harvest, notes = chunk_file(path, MediaType.XLSX)
    reader = XlsxReader()
    assert reader.read(path, notes).markdown.startswith("## Notes")
    with pytest.raises(PipelineError) as caught:
        reader.read(path, harvest)
    assert caught.value.category is ErrorCategory.PAGE_ERROR
    assert "'Harvest'" in caught.value.message
