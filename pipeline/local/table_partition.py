"""A table's cells as a partition of its grid: every position covered by exactly one cell.

Rules can close a box inside another box (a callout in a figure, an entry field inside a
form's row) and later steps move cells (a merged column of currency signs), so anchors can
overlap or leave positions uncovered, which no grid answer can express. `drop_containers`
keeps the finest cells where rules nest; `make_partition` then clips spans to the grid, lets
the first cell in reading order keep a position that two claim (a later cell shrinks to the
free rectangle at its anchor, or gives its text to the cell owning its anchor) and fills every
uncovered position with an empty 1x1 cell.
"""

from collections.abc import Sequence

from pipeline.local.table_grid import DraftCell, DraftTable

__all__ = ["drop_containers", "grid_violations", "make_partition"]

_Span = tuple[int, int, int, int]
"""First row, first column, end row, end column (ends exclusive)."""


def drop_containers(cells: Sequence[DraftCell]) -> list[DraftCell]:
    """The cells that hold no other cell: a box with rules inside it is a frame, not a cell."""
    spans = [_span(cell) for cell in cells]
    return [
        cell
        for cell, outer in zip(cells, spans, strict=True)
        if (cell.row_span == 1 and cell.col_span == 1)
        or not any(inner != outer and _holds(outer, inner) for inner in spans)
    ]


def make_partition(table: DraftTable) -> None:
    """Resolve overlapping cells and fill holes so the cells partition the grid exactly."""
    owner: dict[tuple[int, int], DraftCell] = {}
    kept: list[DraftCell] = []
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col, -c.row_span, -c.col_span)):
        if cell.row >= table.n_rows or cell.col >= table.n_cols:
            continue
        if (cell.row, cell.col) in owner:
            _give_text(cell, owner[cell.row, cell.col])
            continue
        _shrink_to_free(cell, owner, table.n_rows, table.n_cols)
        for row in range(cell.row, cell.row + cell.row_span):
            for col in range(cell.col, cell.col + cell.col_span):
                owner[row, col] = cell
        kept.append(cell)
    for row in range(table.n_rows):
        for col in range(table.n_cols):
            if (row, col) not in owner:
                box = (
                    table.col_edges[col],
                    table.row_edges[row],
                    table.col_edges[col + 1],
                    table.row_edges[row + 1],
                )
                kept.append(DraftCell(row=row, col=col, bbox=box))
    table.cells = sorted(kept, key=lambda c: (c.row, c.col))


def grid_violations(n_rows: int, n_cols: int, spans: Sequence[_Span]) -> int:
    """How many positions are covered twice, lie outside the grid, or are not covered."""
    seen: set[tuple[int, int]] = set()
    bad = 0
    for row0, col0, row1, col1 in spans:
        for row in range(row0, row1):
            for col in range(col0, col1):
                inside = row < n_rows and col < n_cols
                bad += 1 if (row, col) in seen or not inside else 0
                seen.add((row, col))
    return bad + sum(1 for row in range(n_rows) for col in range(n_cols) if (row, col) not in seen)


def _shrink_to_free(
    cell: DraftCell, owner: dict[tuple[int, int], DraftCell], n_rows: int, n_cols: int
) -> None:
    """Cut the cell's spans to the grid and to the positions no earlier cell holds: as many
    columns as are free along its first row, then as many rows as are free across them."""
    cols = 1
    while cols < min(cell.col_span, n_cols - cell.col) and (cell.row, cell.col + cols) not in owner:
        cols += 1
    rows = 1
    while rows < min(cell.row_span, n_rows - cell.row) and all(
        (cell.row + rows, col) not in owner for col in range(cell.col, cell.col + cols)
    ):
        rows += 1
    cell.row_span, cell.col_span = rows, cols


def _give_text(cell: DraftCell, owner: DraftCell) -> None:
    text = cell.text.strip()
    if text and text not in owner.text:
        owner.text = f"{owner.text}\n{text}" if owner.text.strip() else text


def _span(cell: DraftCell) -> _Span:
    return (cell.row, cell.col, cell.row + cell.row_span, cell.col + cell.col_span)


def _holds(outer: _Span, inner: _Span) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )
