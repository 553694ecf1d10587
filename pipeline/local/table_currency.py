"""Currency signs kept with their numbers.

Ledgers print the sign left-aligned and the amount right-aligned, in one cell ("$ 1,200.00"
read as two words), in a ruled sub-column of its own, or at the end of the label cell before
the amount. The sign goes back onto the amount ("$1,200.00"; "1.200,00 €" when the signs
follow the amounts), and a column holding nothing but signs (below any label rows) is merged
into the column of amounts beside it.
"""

import re

from pipeline.local.table_grid import DraftCell, DraftTable
from pipeline.local.table_header import is_numeric

__all__ = ["CURRENCY_SIGNS", "keep_currency_with_numbers"]

CURRENCY_SIGNS = frozenset("$€£¥")
_STARTS_WITH_AMOUNT = re.compile(r"\s*[-\u2212(]?\d")
_SPACED_SIGN = re.compile(r"(?<!\S)([$€£¥])\s+(?=[-\u2212(]?\d)")


def keep_currency_with_numbers(table: DraftTable) -> None:
    """Join spaced signs to their amounts, merge sign-only columns into the amounts beside
    them and move a sign left at the end of a cell onto the amount in the next cell."""
    for col in reversed(range(table.n_cols)):
        if not _is_sign_column(table, col):
            continue
        if col + 1 < table.n_cols and _mostly_numbers(table, col + 1):
            _merge_sign_column(table, col, col + 1)
        elif col > 0 and _mostly_numbers(table, col - 1):
            _merge_sign_column(table, col, col - 1)
    for cell in table.cells:
        cell.text = _SPACED_SIGN.sub(r"\1", cell.text)
    _move_trailing_signs(table)


def _is_sign_column(table: DraftTable, col: int) -> bool:
    """Signs (at least two) and blanks from the first sign down; only labels above it."""
    cells = sorted((c for c in table.cells if c.col == col), key=lambda c: c.row)
    texts = [cell.text.strip() for cell in cells]
    signs = [index for index, text in enumerate(texts) if text in CURRENCY_SIGNS]
    if len(signs) < 2 or any(cells[i].col_span > 1 for i in range(signs[0], len(cells))):
        return False
    below = texts[signs[0] :]
    return all(not text or text in CURRENCY_SIGNS for text in below)


def _mostly_numbers(table: DraftTable, col: int) -> bool:
    texts = [cell.text for cell in table.column_cells(col) if cell.text.strip()]
    return sum(1 for text in texts if is_numeric(text)) * 2 > len(texts)


def _merge_sign_column(table: DraftTable, sign_col: int, amount_col: int) -> None:
    """Put each sign with the amount beside it (before it when the amounts are on the right,
    after it when they are on the left) and drop the sign column."""
    prefix = amount_col > sign_col
    by_position = {(cell.row, cell.col): cell for cell in table.cells}
    kept: list[DraftCell] = []
    for cell in table.cells:
        amount = by_position.get((cell.row, amount_col))
        if (
            cell.col == sign_col
            and cell.col_span == 1
            and amount is not None
            and amount.col_span == 1
            and amount.row_span == cell.row_span
        ):
            amount.text = _joined(cell.text.strip(), amount.text.strip(), prefix)
            amount.bbox = (
                min(cell.bbox[0], amount.bbox[0]),
                amount.bbox[1],
                max(cell.bbox[2], amount.bbox[2]),
                amount.bbox[3],
            )
            continue
        kept.append(cell)
    for cell in kept:
        if cell.col > sign_col:
            cell.col -= 1
        elif cell.col + cell.col_span > sign_col and cell.col_span > 1:
            cell.col_span -= 1
    table.cells = [cell for cell in kept if cell.col_span > 0]
    del table.col_edges[max(sign_col, amount_col)]


def _move_trailing_signs(table: DraftTable) -> None:
    """ "Total $" next to "1,200.00" becomes "Total" next to "$1,200.00"."""
    by_position = {(cell.row, cell.col): cell for cell in table.cells}
    for cell in table.cells:
        text = cell.text.rstrip()
        if not text or text[-1] not in CURRENCY_SIGNS or (len(text) > 1 and text[-2] != " "):
            continue
        amount = by_position.get((cell.row, cell.col + cell.col_span))
        if amount is not None and _STARTS_WITH_AMOUNT.match(amount.text):
            cell.text = text[:-1].rstrip()
            amount.text = text[-1] + amount.text.lstrip()


def _joined(sign: str, amount: str, prefix: bool) -> str:
    if not sign or not amount:
        return sign or amount
    if sign not in CURRENCY_SIGNS:
        return f"{sign} {amount}" if prefix else f"{amount} {sign}"
    return f"{sign}{amount}" if prefix else f"{amount} {sign}"
