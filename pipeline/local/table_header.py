"""Header rows of a table: the leading rows printed unlike the body.

A first row is a header when it is bold over a body that is not, shaded in a colour no body
row repeats, ruled off by a heavier rule than the others, or all text over a numeric column.
Header cells that reach down (row spans) and further leading rows with the same signal join
the header. A table with no such row may have its header printed just above its top rule
(PyMuPDF's "external" header): a line whose words break into phrases exactly at the column
boundaries becomes the table's first row.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import median

from pipeline.local.table_gate import Fill, Rule
from pipeline.local.table_grid import DraftCell, DraftTable, Word, visual_rows
from schemas.blocks import BBox

__all__ = ["StyleHints", "detect_header_rows", "is_numeric", "prepend_header_above"]

_NUMERIC = re.compile(
    r"^[(+\-\u2212\u2013]?[$€£¥]?\s?[(+\-\u2212\u2013]?\d[\d.,'\s]*%?\)?\s?[$€£¥%]?$"
)
_NUMERIC_SHARE = 0.6
_MAX_HEADER_ROWS = 3
_HEAVIER = 1.4
_EDGE = 2.0
_FILLED_SHARE = 0.8
_ABOVE_GAP = 1.6
"""A header line above the table sits within this many of its heights of the top rule."""
_PHRASE_GAP = 0.8
"""Words further apart than this many heights are separate phrases."""


@dataclass(frozen=True)
class StyleHints:
    """What the page shows besides text: span boxes with their boldness, fills, rules."""

    spans: Sequence[tuple[BBox, bool]] = ()
    fills: Sequence[Fill] = ()
    rules: Sequence[Rule] = field(default_factory=tuple)


def is_numeric(text: str) -> bool:
    """True for an amount, count or percentage such as "12", "$1,200.00", "(3.5)", "45 %"."""
    return bool(_NUMERIC.match(text.strip()))


def detect_header_rows(table: DraftTable, hints: StyleHints) -> int:
    """How many leading rows are column headers (0 when nothing sets the first row apart)."""
    if table.n_rows < 2:
        return 0
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, bold) for b, bold in hints.spans]
    rows: list[list[DraftCell]] = [[] for _ in range(table.n_rows)]
    for cell in sorted(table.cells, key=lambda c: c.col):
        if cell.row < table.n_rows:
            rows[cell.row].append(cell)
    bold = [_row_is_bold(cells, centres) for cells in rows]
    fills = [_row_fill(cells, hints.fills) for cells in rows]
    if not (
        _stands_out(0, bold, fills)
        or _text_over_numbers(table, 0)
        or _heavier_rule_below(table, 0, hints.rules)
    ):
        return 0
    header_rows = _reach(table, 1)
    while header_rows < min(_MAX_HEADER_ROWS, table.n_rows - 1):
        row = header_rows
        spanned_above = any(cell.col_span > 1 for cell in table.row_cells(row - 1))
        if not (
            _stands_out(row, bold, fills) or (spanned_above and _text_over_numbers(table, row))
        ):
            break
        header_rows = _reach(table, row + 1)
    return min(header_rows, table.n_rows - 1)


def prepend_header_above(table: DraftTable, words: Sequence[Word]) -> bool:
    """Make the line just above the table its first row when it breaks at the column edges."""
    x0, top, x1, _ = table.bbox
    above = [
        word
        for word in words
        if word[3] <= top + _EDGE and word[0] >= x0 - _EDGE and word[2] <= x1 + _EDGE
    ]
    if not above:
        return False
    line = visual_rows(above)[-1]
    height = max(word[3] - word[1] for word in line)
    if top - max(word[3] for word in line) > _ABOVE_GAP * height:
        return False
    texts = _phrases_by_column(table, line, height)
    filled = [text for text in texts if text]
    if len(filled) < max(2, table.n_cols // 2) or any(is_numeric(text) for text in filled):
        return False
    line_top = min(word[1] for word in line) - 1.0
    for cell in table.cells:
        cell.row += 1
    table.cells[:0] = [
        DraftCell(
            row=0,
            col=col,
            bbox=(table.col_edges[col], line_top, table.col_edges[col + 1], top),
            text=text,
        )
        for col, text in enumerate(texts)
    ]
    table.row_edges.insert(0, line_top)
    table.bbox = (x0, line_top, x1, table.bbox[3])
    return True


def _phrases_by_column(table: DraftTable, line: Sequence[Word], height: float) -> list[str]:
    """The line's text per column, or all empty when a phrase crosses a column edge."""
    texts = [""] * table.n_cols
    previous: Word | None = None
    previous_col = -1
    for word in line:
        col = _column_of(table, word)
        if col is None:
            return [""] * table.n_cols
        close = previous is not None and word[0] - previous[2] < _PHRASE_GAP * height
        if previous is not None and close != (col == previous_col):
            return [""] * table.n_cols
        texts[col] = f"{texts[col]} {word[4]}".strip()
        previous, previous_col = word, col
    return texts


def _column_of(table: DraftTable, word: Word) -> int | None:
    for col in range(table.n_cols):
        left, right = table.col_edges[col], table.col_edges[col + 1]
        if left - _EDGE <= word[0] and word[2] <= right + _EDGE:
            return col
    return None


def _reach(table: DraftTable, header_rows: int) -> int:
    """Extend a header down to the bottom of its cells that span rows."""
    reach = header_rows
    for cell in table.cells:
        if cell.row < reach:
            reach = max(reach, cell.row + cell.row_span)
    return reach


def _stands_out(row: int, bold: Sequence[bool | None], fills: Sequence[object]) -> bool:
    body = range(row + 1, len(bold))
    if bold[row] and not all(bold[other] for other in body if bold[other] is not None):
        return True
    fill = fills[row]
    return fill is not None and all(fills[other] != fill for other in body)


def _text_over_numbers(table: DraftTable, row: int) -> bool:
    """The row is all text and some column below it is mostly numbers."""
    texts = [cell.text.strip() for cell in table.row_cells(row) if cell.text.strip()]
    if not texts or any(is_numeric(text) for text in texts):
        return False
    for col in range(table.n_cols):
        below = [c.text for c in table.column_cells(col, row + 1) if c.text.strip()]
        numbers = sum(1 for text in below if is_numeric(text))
        if numbers >= 2 and numbers >= _NUMERIC_SHARE * len(below):
            return True
    return False


def _row_is_bold(
    cells: Sequence[DraftCell], centres: Sequence[tuple[float, float, bool]]
) -> bool | None:
    """True when every span (by its centre) in the row's cells with text is bold; None for a
    row without text."""
    found = False
    for cell in cells:
        if not cell.text.strip():
            continue
        x0, y0, x1, y1 = cell.bbox
        for x, y, bold in centres:
            if x0 <= x <= x1 and y0 <= y <= y1:
                if not bold:
                    return False
                found = True
    return True if found else None


def _row_fill(cells: Sequence[DraftCell], fills: Sequence[Fill]) -> tuple[float, ...] | None:
    """The colour shading most of a row's cells, if any."""
    if not cells or not fills:
        return None
    colours: dict[tuple[float, ...], int] = {}
    for cell in cells:
        x_mid = (cell.bbox[0] + cell.bbox[2]) / 2
        y_mid = (cell.bbox[1] + cell.bbox[3]) / 2
        for fill in fills:
            fx0, fy0, fx1, fy1 = fill.bbox
            if fx0 <= x_mid <= fx1 and fy0 <= y_mid <= fy1:
                colour = tuple(round(c, 2) for c in fill.colour)
                colours[colour] = colours.get(colour, 0) + 1
                break
    if not colours:
        return None
    colour, count = max(colours.items(), key=lambda item: item[1])
    return colour if count >= _FILLED_SHARE * len(cells) else None


def _heavier_rule_below(table: DraftTable, row: int, rules: Sequence[Rule]) -> bool:
    """The rule under the row is markedly thicker than the table's other horizontal rules."""
    x0, _, x1, _ = table.bbox
    half = (x1 - x0) / 2
    horizontal = [
        rule for rule in rules if rule.horizontal and rule.x1 - rule.x0 >= half and rule.weight > 0
    ]
    edge = table.row_edges[row + 1]
    under = [rule.weight for rule in horizontal if abs(rule.y0 - edge) <= _EDGE]
    others = [rule.weight for rule in horizontal if abs(rule.y0 - edge) > _EDGE]
    return bool(under and others) and max(under) > _HEAVIER * median(others)
