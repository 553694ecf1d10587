"""Currency signs kept with their numbers.

Ledgers print the sign left-aligned and the amount right-aligned, in one cell ("$ 1,200.00"
read as two words) or in a ruled sub-column of its own. The sign goes back onto the amount
("$1,200.00"), and a column holding nothing but signs (below any label rows) is merged into
the column of amounts beside it.
"""

import re

from pipeline.local.table_grid import DraftCell, DraftTable

__all__ = ["CURRENCY_SIGNS", "keep_currency_with_numbers"]

CURRENCY_SIGNS = frozenset("$€£¥")
_SPACED_SIGN = re.compile(r"(?<!\S)([$€£¥])\s+(?=[-\u2212(]?\d)")


def keep_currency_with_numbers(table: DraftTable) -> None:
    """Join spaced signs to their amounts and merge sign-only columns into the amounts."""
    for col in reversed(range(table.n_cols - 1)):
        if _is_sign_column(table, col):
            _merge_into_next_column(table, col)
    for cell in table.cells:
        cell.text = _SPACED_SIGN.sub(r"\1", cell.text)


def _is_sign_column(table: DraftTable, col: int) -> bool:
    """Signs (at least two) and blanks from the first sign down; only labels above it."""
    cells = sorted((c for c in table.cells if c.col == col), key=lambda c: c.row)
    texts = [cell.text.strip() for cell in cells]
    signs = [index for index, text in enumerate(texts) if text in CURRENCY_SIGNS]
    if len(signs) < 2 or any(cells[i].col_span > 1 for i in range(signs[0], len(cells))):
        return False
    below = texts[signs[0] :]
    return all(not text or text in CURRENCY_SIGNS for text in below)


def _merge_into_next_column(table: DraftTable, col: int) -> None:
    """Prepend each sign to the amount on its right and drop the column."""
    by_position = {(cell.row, cell.col): cell for cell in table.cells}
    kept: list[DraftCell] = []
    for cell in table.cells:
        if cell.col == col and cell.col_span == 1:
            neighbour = by_position.get((cell.row, col + 1))
            if neighbour is None or neighbour.row_span != cell.row_span:
                kept.append(cell)
                continue
            neighbour.text = _joined(cell.text.strip(), neighbour.text.strip())
            neighbour.bbox = (cell.bbox[0], *neighbour.bbox[1:])
            continue
        kept.append(cell)
    for cell in kept:
        if cell.col > col:
            cell.col -= 1
        elif cell.col + cell.col_span > col and cell.col_span > 1:
            cell.col_span -= 1
        elif cell.col == col:
            cell.bbox = (cell.bbox[0], cell.bbox[1], table.col_edges[col + 2], cell.bbox[3])
    table.cells = kept
    del table.col_edges[col + 1]


def _joined(sign: str, amount: str) -> str:
    if not sign:
        return amount
    if not amount:
        return sign
    if sign in CURRENCY_SIGNS:
        return f"{sign}{amount}"
    return f"{sign} {amount}"
