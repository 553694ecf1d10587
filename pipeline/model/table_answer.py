"""A table of a page_content answer as a `TableGrid`, and back.

The answer writes a table as its full grid (`rows`, one string per column), the number of
header rows, and its merged cells as [row, col, rows, cols] quadruples (`spans`, anchored at
the top-left position). Reading forgives the model's quirks: ragged rows are padded with empty
cells; an empty row (`[]`) no merged cell covers is dropped, blank cells are kept (forms have
empty fields); spans are clipped to the grid; a span that overlaps an earlier one, starts
outside the grid or covers one position is ignored. A merged cell's text is its top-left
position's, or the first text written at a position it covers when that one is empty.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from schemas.blocks import GridCell, TableGrid

__all__ = ["grid_from_answer", "grid_to_answer"]

Position = tuple[int, int]


def grid_from_answer(table: Mapping[str, Any]) -> TableGrid | None:
    """The grid of an answer's `table` object; None when no cell has text."""
    rows = [[str(text).strip() for text in row] for row in table.get("rows", [])]
    n_cols = max((len(row) for row in rows), default=0)
    texts = [row + [""] * (n_cols - len(row)) for row in rows]
    if not any(any(row) for row in texts):
        return None
    owners, extents = _merged_cells(table.get("spans", []), len(texts), n_cols)
    kept = [r for r, row in enumerate(rows) if row or any((r, c) in owners for c in range(n_cols))]
    header_rows = sum(1 for r in kept if r < int(table.get("header_rows", 0)))
    cells = []
    for new_row, r in enumerate(kept):
        for c in range(n_cols):
            if owners.get((r, c), (r, c)) != (r, c):
                continue  # covered by a merged cell
            row_span, col_span = extents.get((r, c), (1, 1))
            cells.append(
                GridCell(
                    row=new_row,
                    col=c,
                    row_span=row_span,
                    col_span=col_span,
                    text=_merged_text(texts, (r, c), row_span, col_span),
                    header=new_row < header_rows,
                )
            )
    return TableGrid(n_rows=len(kept), n_cols=n_cols, header_rows=header_rows, cells=cells)


def grid_to_answer(grid: TableGrid) -> dict[str, Any]:
    """The answer's `table` object for a grid (keys in schema order, optional ones omitted)."""
    answer: dict[str, Any] = {}
    if grid.header_rows:
        answer["header_rows"] = grid.header_rows
    answer["rows"] = [[text or "" for text in row] for row in grid.rows()]
    spans = [
        [cell.row, cell.col, cell.row_span, cell.col_span]
        for cell in grid.cells
        if cell.row_span > 1 or cell.col_span > 1
    ]
    if spans:
        answer["spans"] = spans
    return answer


def _merged_cells(
    spans: Sequence[Sequence[int]], n_rows: int, n_cols: int
) -> tuple[dict[Position, Position], dict[Position, tuple[int, int]]]:
    """Each covered position's anchor, and each anchor's (row_span, col_span)."""
    owners: dict[Position, Position] = {}
    extents: dict[Position, tuple[int, int]] = {}
    for span in spans:
        if len(span) != 4:
            continue
        row, col, row_span, col_span = (int(value) for value in span)
        if not (0 <= row < n_rows and 0 <= col < n_cols):
            continue
        row_span = min(max(row_span, 1), n_rows - row)
        col_span = min(max(col_span, 1), n_cols - col)
        area = [(r, c) for r in range(row, row + row_span) for c in range(col, col + col_span)]
        if len(area) == 1 or any(position in owners for position in area):
            continue
        owners.update(dict.fromkeys(area, (row, col)))
        extents[(row, col)] = (row_span, col_span)
    return owners, extents


def _merged_text(texts: list[list[str]], anchor: Position, row_span: int, col_span: int) -> str:
    row, col = anchor
    covered = (texts[r][c] for r in range(row, row + row_span) for c in range(col, col + col_span))
    return next((text for text in covered if text), "")
