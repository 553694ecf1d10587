"""Rows that rules group in bands: one ruled row holding several printed rows.

Some tables rule only between groups of rows ("6 | OTSL 0.965 / HTML 0.969"): every ruled
cell of the band stacks one value per printed row and a cell common to the group prints once.
A ruled row is split into k rows when two or more of its cells hold exactly k lines on the
same baselines, every other cell holds one line or none (it then spans the k rows), and one
of the stacked cells is a number on every line: numbers are not wrapped text, so lines of
numbers on shared baselines are separate rows.
"""

from collections.abc import Sequence
from itertools import pairwise

from pipeline.local.table_grid import DraftCell, DraftTable, Word, visual_rows
from pipeline.local.table_header import is_numeric

__all__ = ["split_stacked_rows"]

_ALIGNED = 0.4
"""Line centres closer than this share of the line height are on one baseline."""
_MIN_STACKED_CELLS = 2

_Line = tuple[float, float]
"""A printed line's top and bottom."""


def split_stacked_rows(table: DraftTable, words: Sequence[Word]) -> None:
    """Split every banded ruled row of the table into the rows it prints (bottom up, so a
    split moves only rows already looked at)."""
    covering: dict[int, list[DraftCell]] = {}
    for cell in table.cells:
        for row in range(cell.row, cell.row + cell.row_span):
            covering.setdefault(row, []).append(cell)
    for row in reversed(range(table.n_rows)):
        lines = _stacked_lines(covering.get(row, []), words)
        if lines is not None:
            _split(table, row, lines)


def _stacked_lines(cells: Sequence[DraftCell], words: Sequence[Word]) -> list[_Line] | None:
    """The printed lines of a banded row (top to bottom), or None when the row is not one."""
    if len(cells) < _MIN_STACKED_CELLS or any(cell.row_span != 1 for cell in cells):
        return None
    stacked = [cell for cell in cells if "\n" in cell.text]
    if len(stacked) < _MIN_STACKED_CELLS:
        return None
    count = stacked[0].text.count("\n") + 1
    if any(cell.text.count("\n") + 1 != count for cell in stacked):
        return None
    if not any(all(is_numeric(line) for line in cell.text.split("\n")) for cell in stacked):
        return None
    per_cell = [_lines_in(cell, words) for cell in stacked]
    if any(len(lines) != count for lines in per_cell):
        return None
    merged: list[_Line] = []
    for index in range(count):
        tops = [lines[index][0] for lines in per_cell]
        bottoms = [lines[index][1] for lines in per_cell]
        height = max(bottoms) - min(tops)
        centres = [(top + bottom) / 2 for top, bottom in zip(tops, bottoms, strict=True)]
        if max(centres) - min(centres) > _ALIGNED * height:
            return None
        merged.append((min(tops), max(bottoms)))
    return merged


def _lines_in(cell: DraftCell, words: Sequence[Word]) -> list[_Line]:
    x0, y0, x1, y1 = cell.bbox
    inside = [
        word
        for word in words
        if x0 <= (word[0] + word[2]) / 2 <= x1 and y0 <= (word[1] + word[3]) / 2 <= y1
    ]
    return [(min(w[1] for w in line), max(w[3] for w in line)) for line in visual_rows(inside)]


def _split(table: DraftTable, row: int, lines: Sequence[_Line]) -> None:
    """Replace the row by one row per printed line."""
    extra = len(lines) - 1
    cuts = [round((upper[1] + lower[0]) / 2, 2) for upper, lower in pairwise(lines)]
    top, bottom = table.row_edges[row], table.row_edges[row + 1]
    edges = [top, *cuts, bottom]
    new_cells: list[DraftCell] = []
    for cell in table.cells:
        if cell.row > row:
            cell.row += extra
        elif cell.row < row < cell.row + cell.row_span:
            cell.row_span += extra
        elif cell.row == row and "\n" in cell.text:
            parts = cell.text.split("\n")
            for index, text in enumerate(parts):
                box = (cell.bbox[0], edges[index], cell.bbox[2], edges[index + 1])
                new_cells.append(
                    DraftCell(
                        row=row + index, col=cell.col, bbox=box, col_span=cell.col_span, text=text
                    )
                )
            cell.row_span = 0  # replaced by the cells above
        elif cell.row == row:
            cell.row_span += extra
    table.cells = sorted(
        [cell for cell in table.cells if cell.row_span > 0] + new_cells,
        key=lambda c: (c.row, c.col),
    )
    table.row_edges[row + 1 : row + 1] = cuts
