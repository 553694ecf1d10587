"""An HTML `<table>` as a grid: rows from thead/tbody/tfoot in document order, `colspan` and
`rowspan` placed with the shared `GridBuilder` (always a partition).

Spans are clamped as browsers clamp them (colspan ≤ 1000, rowspan ≤ 65534, `rowspan=0` to the
end of the table) and then to the table's own rows. Leading rows inside `<thead>`, or made of
`<th>` cells only, are header rows. A table larger than `MAX_TABLE_POSITIONS` positions after
spans is no grid: the caller writes its rows as paragraphs. Nested tables are not entered:
their text is part of the enclosing cell's text.
"""

from collections.abc import Callable
from typing import Final

from lxml import html

from pipeline.formats.grid import GridBuilder
from schemas.blocks import TableGrid

__all__ = ["MAX_TABLE_POSITIONS", "table_grid", "table_rows"]

MAX_TABLE_POSITIONS: Final = 100_000
_MAX_COLSPAN: Final = 1000
_MAX_ROWSPAN: Final = 65534

Row = tuple[list[html.HtmlElement], bool]
"""A row's cells and whether it sits in a `<thead>`."""


def table_rows(table: html.HtmlElement) -> list[Row]:
    """The table's rows, in document order; cells are `td`/`th` children of each `tr`."""
    rows: list[Row] = []
    for child in table:
        tag = _tag(child)
        if tag == "tr":
            rows.append((_cells(child), False))
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend((_cells(tr), tag == "thead") for tr in child if _tag(tr) == "tr")
    return [row for row in rows if row[0]]


def table_grid(rows: list[Row], text_of: Callable[[html.HtmlElement], str]) -> TableGrid | None:
    """The grid of `rows`, or None when it has no cells or is too large to be a grid."""
    if not rows:
        return None
    n_rows = len(rows)
    area = sum(
        _span(cell, "colspan", _MAX_COLSPAN)
        * min(_span(cell, "rowspan", _MAX_ROWSPAN, zero_means=n_rows), n_rows - index)
        for index, (cells, _) in enumerate(rows)
        for cell in cells
    )
    if area > MAX_TABLE_POSITIONS:
        return None
    builder = GridBuilder()
    for row_index, (cells, _) in enumerate(rows):
        col = 0
        for cell in cells:
            while builder.taken(row_index, col):
                col += 1
            row_span = _span(cell, "rowspan", _MAX_ROWSPAN, zero_means=n_rows - row_index)
            row_span = min(row_span, n_rows - row_index)
            col_span = _span(cell, "colspan", _MAX_COLSPAN)
            builder.place(row_index, col, text_of(cell), row_span=row_span, col_span=col_span)
            while builder.taken(row_index, col):
                col += 1
    if builder.n_rows * builder.n_cols > MAX_TABLE_POSITIONS:
        return None
    return builder.build(header_rows=_header_rows(rows))


def _header_rows(rows: list[Row]) -> int:
    count = 0
    for cells, in_head in rows:
        if in_head or all(_tag(cell) == "th" for cell in cells):
            count += 1
        else:
            break
    return count if count < len(rows) else min(count, 1)


def _cells(row: html.HtmlElement) -> list[html.HtmlElement]:
    return [cell for cell in row if _tag(cell) in ("td", "th")]


def _span(cell: html.HtmlElement, name: str, limit: int, zero_means: int | None = None) -> int:
    raw = (cell.get(name) or "1").strip()
    digits = ""
    for char in raw:
        if char not in "0123456789":
            break
        digits += char
    if not digits:
        return 1
    value = int(digits[:7])
    if value == 0:
        return zero_means if zero_means is not None else 1
    return min(value, limit)


def _tag(element: html.HtmlElement) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""
