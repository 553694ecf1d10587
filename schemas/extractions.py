"""Built-in extraction payloads: what a job writes as its structured JSON."""

from typing import Final, Literal

from pydantic import BaseModel, Field

Rotation = Literal[0, 90, 180, 270]
"""Clockwise page or image rotation in degrees."""

BBox = tuple[float, float, float, float]

PAGE_CONTENT: Final = "page_content"


class Provenance(BaseModel):
    """Where an extraction came from: page and box in PDF points (or pixels for images)."""

    page_number: int = Field(ge=1)
    bbox: BBox
    unit: Literal["pt", "px"] = "pt"


class TextBlock(BaseModel):
    """A block of text in reading order with its bounding box."""

    index: int = Field(ge=0, description="Position in reading order.")
    text: str
    bbox: BBox
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)


class TableCell(BaseModel):
    """One cell of a table; text is None for a cell covered by a span."""

    row: int = Field(ge=0)
    col: int = Field(ge=0)
    text: str | None
    bbox: BBox | None = None


class Table(BaseModel):
    """A table found on a page, as rows of cell texts plus the cells with their boxes."""

    index: int = Field(ge=0)
    bbox: BBox
    n_rows: int = Field(ge=0)
    n_cols: int = Field(ge=0)
    header: list[str | None] = Field(default_factory=list)
    rows: list[list[str | None]]
    cells: list[TableCell]


class PageSize(BaseModel):
    """Page geometry as displayed (after rotation)."""

    width: float = Field(gt=0)
    height: float = Field(gt=0)
    rotation: Rotation = 0
    unit: Literal["pt", "px"] = "pt"


class PageContentData(BaseModel):
    """The `data` of a page_content extraction."""

    text: str = Field(description="All text of the page in reading order.")
    blocks: list[TextBlock]
    tables: list[Table]
    page: PageSize
    engine: str = Field(description="Engine that produced the content, e.g. 'pymupdf-text'.")


class PageContent(BaseModel):
    """A page_content extraction: data plus provenance."""

    kind: Literal["page_content"] = PAGE_CONTENT
    data: PageContentData
    provenance: Provenance
