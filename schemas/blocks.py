"""The document model every tier produces: a page is an ordered list of typed blocks.

A block has a kind, its text (written once: a table's text lives in its cells, a formula's
text is LaTeX), its box in page units and its reading-order index. Headings carry a level,
list items their marker and nesting depth, tables a cell grid with spans and header rows.
The furniture kinds (footnotes, running headers and footers, page numbers) are kept in the
JSON, marked, and left out of the body text and Markdown by default.
"""

from enum import StrEnum
from typing import Final

from pydantic import BaseModel, Field, computed_field

__all__ = [
    "FURNITURE_KINDS",
    "HEADING_KINDS",
    "MAX_HEADING_LEVEL",
    "BBox",
    "Block",
    "BlockKind",
    "GridCell",
    "TableGrid",
]

BBox = tuple[float, float, float, float]
"""(x0, y0, x1, y1), top-left origin, in the page's unit (PDF points or image pixels)."""

MAX_HEADING_LEVEL: Final = 6


class BlockKind(StrEnum):
    """What a block is."""

    TITLE = "title"
    SECTION_HEADER = "section_header"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    CAPTION = "caption"
    TABLE = "table"
    FORMULA = "formula"
    FIGURE = "figure"
    FOOTNOTE = "footnote"
    PAGE_HEADER = "page_header"
    PAGE_FOOTER = "page_footer"
    PAGE_NUMBER = "page_number"


FURNITURE_KINDS: Final = frozenset(
    {BlockKind.FOOTNOTE, BlockKind.PAGE_HEADER, BlockKind.PAGE_FOOTER, BlockKind.PAGE_NUMBER}
)
"""Kept in JSON, left out of the body text and Markdown by default."""

HEADING_KINDS: Final = frozenset({BlockKind.TITLE, BlockKind.SECTION_HEADER})


class GridCell(BaseModel):
    """One cell of a table grid: its anchor (top-left) position, spans and text.

    Positions covered by another cell's span have no cell of their own."""

    row: int = Field(ge=0)
    col: int = Field(ge=0)
    row_span: int = Field(default=1, ge=1)
    col_span: int = Field(default=1, ge=1)
    text: str = ""
    header: bool = Field(default=False, description="True for a column or row header cell.")
    bbox: BBox | None = None


class TableGrid(BaseModel):
    """A table as a grid of cells; the first `header_rows` rows are column headers."""

    n_rows: int = Field(ge=0)
    n_cols: int = Field(ge=0)
    header_rows: int = Field(default=0, ge=0)
    cells: list[GridCell]

    def rows(self) -> list[list[str | None]]:
        """The grid as rows of texts; None where a position is covered by a span."""
        grid: list[list[str | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for cell in self.cells:
            if cell.row < self.n_rows and cell.col < self.n_cols:
                grid[cell.row][cell.col] = cell.text
        return grid

    @property
    def has_spans(self) -> bool:
        """True when a cell spans more than one row or column."""
        return any(cell.row_span > 1 or cell.col_span > 1 for cell in self.cells)


class Block(BaseModel):
    """One typed block of a page, in reading order."""

    index: int = Field(ge=0, description="Position in the page's reading order.")
    kind: BlockKind
    text: str = Field(
        default="",
        description="The block's text; LaTeX for a formula; empty for a table (see `table`).",
    )
    bbox: BBox
    level: int | None = Field(
        default=None,
        ge=1,
        le=MAX_HEADING_LEVEL,
        description="Heading level (1 = top) for a title or section_header.",
    )
    marker: str | None = Field(
        default=None, description="A list item's bullet or number as printed, e.g. '•', '2.'."
    )
    depth: int = Field(default=0, ge=0, description="A list item's nesting depth (0 = top).")
    table: TableGrid | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def furniture(self) -> bool:
        """True for running headers and footers, page numbers and footnotes."""
        return self.kind in FURNITURE_KINDS
