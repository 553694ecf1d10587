"""A table's cell grid while it is being built: anchor cells with spans, filled with words.

`find_tables` reports one box per cell and leaves gaps where a merged cell covers several
positions; the column and row boundaries are the distinct cell edges, and a cell spans every
boundary its box crosses. Cell text is rebuilt from the page's words (a word belongs to the
cell holding its centre), which keeps the spaces and decimal points that character
clustering can scatter.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas.blocks import BBox, GridCell, TableGrid

__all__ = [
    "DraftCell",
    "DraftTable",
    "Word",
    "draft_from_cell_boxes",
    "fill_cell_texts",
    "rounded_box",
    "text_in",
    "to_table_grid",
    "visual_rows",
]

Word = tuple[float, float, float, float, str, int, int, int]
"""A `page.get_text("words")` tuple: x0, y0, x1, y1, text, block, line, word number."""

_EDGE_TOLERANCE = 1.5
_SAME_ROW = 0.4
"""Words whose centres differ by less than this share of their height share a row."""


@dataclass
class DraftCell:
    """An anchor cell: its top-left grid position, spans, box and text."""

    row: int
    col: int
    bbox: BBox
    row_span: int = 1
    col_span: int = 1
    text: str = ""
    header: bool = False


@dataclass
class DraftTable:
    """A grid being built: `col_edges`/`row_edges` are the n+1 boundaries of its columns/rows."""

    bbox: BBox
    col_edges: list[float]
    row_edges: list[float]
    cells: list[DraftCell] = field(default_factory=list)
    header_rows: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.row_edges) - 1

    @property
    def n_cols(self) -> int:
        return len(self.col_edges) - 1

    def row_cells(self, row: int) -> list[DraftCell]:
        """The cells anchored in a row, left to right."""
        return sorted((cell for cell in self.cells if cell.row == row), key=lambda c: c.col)

    def column_cells(self, col: int, first_row: int = 0) -> list[DraftCell]:
        """The one-column-wide cells anchored in a column from `first_row` down."""
        return sorted(
            (c for c in self.cells if c.col == col and c.col_span == 1 and c.row >= first_row),
            key=lambda c: c.row,
        )


def draft_from_cell_boxes(boxes: Iterable[Sequence[float]]) -> DraftTable | None:
    """Anchor cells with spans from the cell boxes of a detected table (None for no cells)."""
    cell_boxes = [rounded_box(box) for box in boxes if box is not None]
    if not cell_boxes:
        return None
    col_edges = _edges([b[0] for b in cell_boxes] + [max(b[2] for b in cell_boxes)])
    row_edges = _edges([b[1] for b in cell_boxes] + [max(b[3] for b in cell_boxes)])
    cells: dict[tuple[int, int], DraftCell] = {}
    for box in cell_boxes:
        col, col_end = _index(col_edges, box[0]), _index(col_edges, box[2])
        row, row_end = _index(row_edges, box[1]), _index(row_edges, box[3])
        if (row, col) in cells:
            continue
        cells[row, col] = DraftCell(
            row=row,
            col=col,
            bbox=box,
            row_span=max(1, row_end - row),
            col_span=max(1, col_end - col),
        )
    bbox = (col_edges[0], row_edges[0], col_edges[-1], row_edges[-1])
    ordered = sorted(cells.values(), key=lambda c: (c.row, c.col))
    return DraftTable(bbox=bbox, col_edges=col_edges, row_edges=row_edges, cells=ordered)


def fill_cell_texts(table: DraftTable, words: Sequence[Word]) -> None:
    """Give every cell the words whose centre lies in it, line by line in reading order.

    A word is looked up at its grid position (one cell per position once the grid is a
    partition) and only searched for among all cells when that cell's box does not hold it,
    so the cost grows with cells plus words, not their product."""
    x0, y0, x1, y1 = table.bbox
    owner = {
        (row, col): cell
        for cell in table.cells
        for row in range(cell.row, cell.row + cell.row_span)
        for col in range(cell.col, cell.col + cell.col_span)
    }
    held: dict[int, list[Word]] = {id(cell): [] for cell in table.cells}
    for word in words:
        x_mid, y_mid = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
        if not (x0 <= x_mid <= x1 and y0 <= y_mid <= y1):
            continue
        row = min(max(bisect_right(table.row_edges, y_mid) - 1, 0), table.n_rows - 1)
        col = min(max(bisect_right(table.col_edges, x_mid) - 1, 0), table.n_cols - 1)
        cell = owner.get((row, col))
        if cell is None or not _holds_point(cell.bbox, x_mid, y_mid):
            cell = next((c for c in table.cells if _holds_point(c.bbox, x_mid, y_mid)), None)
        if cell is not None:
            held[id(cell)].append(word)
    for cell in table.cells:
        rows = visual_rows(held[id(cell)])
        cell.text = "\n".join(" ".join(word[4] for word in row) for row in rows)


def _holds_point(box: BBox, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def text_in(box: BBox, words: Sequence[Word]) -> str:
    """The words with their centre in a box: one line per visual row, words joined by a space."""
    x0, y0, x1, y1 = box
    inside = [
        word
        for word in words
        if x0 <= (word[0] + word[2]) / 2 <= x1 and y0 <= (word[1] + word[3]) / 2 <= y1
    ]
    return "\n".join(" ".join(word[4] for word in row) for row in visual_rows(inside))


def visual_rows(words: Iterable[Word]) -> list[list[Word]]:
    """Words grouped into rows by their vertical centre (top to bottom), each row left to right.

    Words printed separately on one baseline (a currency sign and its amount) share a row."""
    rows: list[list[Word]] = []
    centre = 0.0
    for word in sorted(words, key=lambda w: (w[1] + w[3]) / 2):
        middle = (word[1] + word[3]) / 2
        if rows and abs(middle - centre) <= (word[3] - word[1]) * _SAME_ROW:
            rows[-1].append(word)
        else:
            rows.append([word])
            centre = middle
    return [sorted(row, key=lambda w: w[0]) for row in rows]


def to_table_grid(table: DraftTable) -> TableGrid:
    """The finished grid: header cells are those anchored in the header rows."""
    cells = [
        GridCell(
            row=cell.row,
            col=cell.col,
            row_span=cell.row_span,
            col_span=cell.col_span,
            text=cell.text,
            header=cell.header or cell.row < table.header_rows,
            bbox=cell.bbox,
        )
        for cell in sorted(table.cells, key=lambda c: (c.row, c.col))
    ]
    return TableGrid(
        n_rows=table.n_rows, n_cols=table.n_cols, header_rows=table.header_rows, cells=cells
    )


def rounded_box(box: Sequence[float]) -> BBox:
    """A box with its coordinates rounded to 0.01."""
    x0, y0, x1, y1 = (float(value) for value in box[:4])
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))


def _edges(values: Iterable[float]) -> list[float]:
    """Distinct boundaries, values closer than the tolerance counted once."""
    edges: list[float] = []
    for value in sorted(values):
        if not edges or value - edges[-1] > _EDGE_TOLERANCE:
            edges.append(value)
    return edges


def _index(edges: Sequence[float], value: float) -> int:
    """The index of the boundary nearest to a value (edges ascending; the lower on a tie)."""
    right = bisect_left(edges, value)
    if right == 0:
        return 0
    if right == len(edges):
        return right - 1
    return right - 1 if value - edges[right - 1] <= edges[right] - value else right
