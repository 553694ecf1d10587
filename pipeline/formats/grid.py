"""Building a table grid from a format's cells: anchors with spans, always a partition.

Every format states merges its own way (OOXML: `gridSpan` and `vMerge` continuations; PPTX:
an origin cell with spans; ODF: spans plus covered cells). They all place anchor cells here;
a cell whose span would overlap a position already taken is clipped, a vertical
continuation grows the anchor above it, and positions nobody covers become empty 1x1 cells,
so every position of the rows x columns is covered exactly once.
"""

from dataclasses import dataclass, field

from schemas.blocks import GridCell, TableGrid

__all__ = ["GridBuilder"]


@dataclass
class _Anchor:
    row: int
    col: int
    row_span: int
    col_span: int
    text: str


@dataclass
class GridBuilder:
    """Collects anchor cells row by row; `build()` returns the partitioned grid."""

    anchors: list[_Anchor] = field(default_factory=list)
    owner: dict[tuple[int, int], int] = field(default_factory=dict)
    n_rows: int = 0
    n_cols: int = 0

    def taken(self, row: int, col: int) -> bool:
        """True when a cell already covers this position."""
        return (row, col) in self.owner

    def place(self, row: int, col: int, text: str, row_span: int = 1, col_span: int = 1) -> None:
        """An anchor cell at (row, col); its spans stop where another cell already sits."""
        if self.taken(row, col):
            return
        col_span = self._free_run(row, col, max(col_span, 1))
        rows = 1
        while rows < max(row_span, 1) and all(
            not self.taken(row + rows, c) for c in range(col, col + col_span)
        ):
            rows += 1
        anchor = _Anchor(row, col, rows, col_span, text)
        self.anchors.append(anchor)
        self._claim(len(self.anchors) - 1, row, col, rows, col_span)

    def extend_down(self, row: int, col: int, col_span: int = 1) -> bool:
        """A vertical continuation at (row, col): the anchor covering (row - 1, col) grows one
        row when it starts at this column and is as wide; False when there is none."""
        index = self.owner.get((row - 1, col))
        if index is None:
            return False
        anchor = self.anchors[index]
        fits = anchor.col == col and anchor.row + anchor.row_span == row
        if not fits or anchor.col_span != col_span:
            return False
        if any(self.taken(row, c) for c in range(col, col + col_span)):
            return False
        anchor.row_span += 1
        self._claim(index, row, col, 1, col_span)
        return True

    def build(self, header_rows: int = 1) -> TableGrid:
        """The grid; uncovered positions filled with empty cells, header rows clipped."""
        cells = [
            GridCell(row=a.row, col=a.col, row_span=a.row_span, col_span=a.col_span, text=a.text)
            for a in self.anchors
        ]
        for row in range(self.n_rows):
            for col in range(self.n_cols):
                if not self.taken(row, col):
                    cells.append(GridCell(row=row, col=col))
        cells.sort(key=lambda cell: (cell.row, cell.col))
        headers = min(header_rows, self.n_rows)
        for cell in cells:
            cell.header = cell.row < headers
        return TableGrid(n_rows=self.n_rows, n_cols=self.n_cols, header_rows=headers, cells=cells)

    def _free_run(self, row: int, col: int, wanted: int) -> int:
        span = 1
        while span < wanted and not self.taken(row, col + span):
            span += 1
        return span

    def _claim(self, index: int, row: int, col: int, rows: int, cols: int) -> None:
        for r in range(row, row + rows):
            for c in range(col, col + cols):
                self.owner[(r, c)] = index
        self.n_rows = max(self.n_rows, row + rows)
        self.n_cols = max(self.n_cols, col + cols)
