"""Table extraction with PyMuPDF, gated: `find_tables` only runs on pages with ruling lines.

Cell boundaries come from `find_tables`; cell text is rebuilt from the page's words (assigned
to a cell by their centre), which keeps spaces and decimal points that the table module's own
character clustering can scatter.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pymupdf

from schemas.blocks import BBox, GridCell, TableGrid

__all__ = [
    "MIN_RULING_SEGMENTS",
    "FoundTable",
    "Word",
    "count_ruling_segments",
    "extract_tables",
]


@dataclass(frozen=True)
class FoundTable:
    """A table found on a page: where it is and its cell grid."""

    bbox: BBox
    grid: TableGrid


MIN_RULING_SEGMENTS = 6
_AXIS_TOLERANCE = 1.0

Word = tuple[float, float, float, float, str, int, int, int]


def count_ruling_segments(page: pymupdf.Page) -> int:
    """Count horizontal and vertical line segments and rectangle edges drawn on the page."""
    count = 0
    for path in page.get_drawings():
        for item in path.get("items", ()):
            operator = item[0]
            if operator == "l":
                start, end = item[1], item[2]
                horizontal = abs(start.y - end.y) <= _AXIS_TOLERANCE
                vertical = abs(start.x - end.x) <= _AXIS_TOLERANCE
                count += 1 if horizontal or vertical else 0
            elif operator in ("re", "qu"):
                count += 4
    return count


def extract_tables(page: pymupdf.Page) -> list[FoundTable]:
    """Return the ruled tables of a page; pages without enough ruling lines cost one scan."""
    if count_ruling_segments(page) < MIN_RULING_SEGMENTS:
        return []
    found = page.find_tables(use_layout=False)
    if not found.tables:
        return []
    words: list[Word] = page.get_text("words")
    return [_to_table(table, words) for table in found.tables]


def _to_table(table: "pymupdf.table.Table", words: Sequence[Word]) -> FoundTable:
    cells: list[GridCell] = []
    has_header = not table.header.external
    for row_index, row in enumerate(table.rows):
        for col_index, cell_box in enumerate(row.cells):
            if cell_box is None:
                continue
            box = _rounded(cell_box)
            cells.append(
                GridCell(
                    row=row_index,
                    col=col_index,
                    text=_text_in(box, words),
                    header=has_header and row_index == 0,
                    bbox=box,
                )
            )
    grid = TableGrid(
        n_rows=table.row_count,
        n_cols=table.col_count,
        header_rows=1 if has_header and table.row_count > 0 else 0,
        cells=cells,
    )
    return FoundTable(bbox=_rounded(table.bbox), grid=grid)


def _text_in(box: BBox, words: Sequence[Word]) -> str:
    x0, y0, x1, y1 = box
    inside = [
        word
        for word in words
        if x0 <= (word[0] + word[2]) / 2 <= x1 and y0 <= (word[1] + word[3]) / 2 <= y1
    ]
    inside.sort(key=lambda word: (word[5], word[6], word[7]))
    lines: dict[tuple[int, int], list[str]] = {}
    for word in inside:
        lines.setdefault((word[5], word[6]), []).append(word[4])
    return "\n".join(" ".join(line) for line in lines.values())


def _rounded(box: pymupdf.Rect | tuple[float, float, float, float]) -> BBox:
    if isinstance(box, pymupdf.Rect):
        box = (box.x0, box.y0, box.x1, box.y1)
    x0, y0, x1, y1 = (float(value) for value in box)
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))
