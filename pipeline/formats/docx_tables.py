"""A DOCX table (`w:tbl`) as a grid with spans.

`w:gridSpan` is a column span, `w:vMerge` without `restart` continues the cell above (its
anchor grows a row), `w:gridBefore` skips leading grid columns. A cell's paragraphs join with
newlines; a nested table is flattened to text (cells joined by ` | `, rows by newlines).
Header rows: the leading rows marked `w:tblHeader` (repeat as header row), else the first.
"""

from collections.abc import Callable

from lxml import etree

from pipeline.formats.grid import GridBuilder
from pipeline.formats.ooxml import q
from pipeline.formats.pictures import PictureRef
from schemas.blocks import TableGrid

__all__ = ["CellParagraph", "table_grid"]

CellParagraph = Callable[[etree._Element], tuple[str, list[PictureRef]]]
"""How the flow reads one paragraph: its text and the pictures in it."""

_MAX_SPAN = 1000


def table_grid(
    table: etree._Element, paragraph: CellParagraph
) -> tuple[TableGrid, list[PictureRef]]:
    """The table's grid and the pictures inside its cells."""
    builder = GridBuilder()
    pictures: list[PictureRef] = []
    header_rows = 0
    counting_headers = True
    for row_index, row in enumerate(_children(table, "w:tr")):
        trpr = row.find(q("w:trPr"))
        if counting_headers and trpr is not None and trpr.find(q("w:tblHeader")) is not None:
            header_rows += 1
        else:
            counting_headers = False
        col = _int_val(trpr, "w:gridBefore", 0)
        for cell in _children(row, "w:tc"):
            tcpr = cell.find(q("w:tcPr"))
            span = min(max(_int_val(tcpr, "w:gridSpan", 1), 1), _MAX_SPAN)
            if _continues_above(tcpr) and builder.extend_down(row_index, col, span):
                col += span
                continue
            text, inner = _cell_text(cell, paragraph)
            pictures.extend(inner)
            while builder.taken(row_index, col):
                col += 1
            builder.place(row_index, col, text, col_span=span)
            col += span
        if builder.n_rows <= row_index:
            builder.n_rows = row_index + 1
    return builder.build(header_rows or 1), pictures


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    """Direct children named `name`, looking through content controls and custom XML."""
    found = []
    for child in element:
        if child.tag == q(name):
            found.append(child)
        elif child.tag in (q("w:sdt"), q("w:customXml")):
            content = child.find(q("w:sdtContent"))
            found.extend(_children(content if content is not None else child, name))
    return found


def _continues_above(tcpr: etree._Element | None) -> bool:
    if tcpr is None:
        return False
    merge = tcpr.find(q("w:vMerge"))
    return merge is not None and merge.get(q("w:val"), "continue") == "continue"


def _int_val(parent: etree._Element | None, name: str, default: int) -> int:
    if parent is None:
        return default
    element = parent.find(q(name))
    if element is None:
        return default
    try:
        return int(element.get(q("w:val")) or default)
    except ValueError:
        return default


def _cell_text(cell: etree._Element, paragraph: CellParagraph) -> tuple[str, list[PictureRef]]:
    lines: list[str] = []
    pictures: list[PictureRef] = []
    for child in _children_content(cell):
        if child.tag == q("w:p"):
            text, inner = paragraph(child)
            pictures.extend(inner)
            if text:
                lines.append(text)
        elif child.tag == q("w:tbl"):
            grid, inner = table_grid(child, paragraph)
            pictures.extend(inner)
            lines.extend(_flattened(grid))
    return "\n".join(lines), pictures


def _children_content(cell: etree._Element) -> list[etree._Element]:
    found = []
    for child in cell:
        if child.tag in (q("w:sdt"), q("w:customXml")):
            content = child.find(q("w:sdtContent"))
            found.extend(_children_content(content if content is not None else child))
        else:
            found.append(child)
    return found


def _flattened(grid: TableGrid) -> list[str]:
    return [
        " | ".join(text for text in row if text) for row in grid.rows() if any(text for text in row)
    ]
