"""Built-in extraction payloads: what a job writes as its structured JSON."""

from collections.abc import Sequence
from typing import Final, Literal

from pydantic import BaseModel, Field

from schemas.blocks import BBox, Block
from schemas.rendering.markdown import render_markdown
from schemas.rendering.text import render_text

Rotation = Literal[0, 90, 180, 270]
"""Clockwise page or image rotation in degrees."""

PAGE_CONTENT: Final = "page_content"


class Provenance(BaseModel):
    """Where an extraction came from: page and box in PDF points (or pixels for images)."""

    page_number: int = Field(ge=1)
    bbox: BBox
    unit: Literal["pt", "px"] = "pt"


class PageSize(BaseModel):
    """Page geometry as displayed (after rotation)."""

    width: float = Field(gt=0)
    height: float = Field(gt=0)
    rotation: Rotation = 0
    unit: Literal["pt", "px"] = "pt"


class PageContentData(BaseModel):
    """The `data` of a page_content extraction: typed blocks plus their derived text forms."""

    text: str = Field(description="The page's body text in reading order (no furniture).")
    markdown: str = Field(description="The page's body as GitHub-flavoured Markdown.")
    blocks: list[Block] = Field(description="Every block in reading order, furniture marked.")
    page: PageSize
    engine: str = Field(description="Engine that produced the content, e.g. 'pymupdf-text'.")
    fields: dict[str, str] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Named values the format states outside its body, e.g. an e-mail's From,"
        " To, Cc, Date and Subject; absent for pages.",
    )

    @classmethod
    def from_blocks(
        cls,
        blocks: Sequence[Block],
        page: PageSize,
        engine: str,
        fields: dict[str, str] | None = None,
    ) -> "PageContentData":
        """The data of a page whose blocks are known: text and Markdown derived, indices set."""
        ordered = [block.model_copy(update={"index": i}) for i, block in enumerate(blocks)]
        return cls(
            text=render_text(ordered),
            markdown=render_markdown(ordered),
            blocks=ordered,
            page=page,
            engine=engine,
            fields=fields,
        )


class PageContent(BaseModel):
    """A page_content extraction: data plus provenance."""

    kind: Literal["page_content"] = PAGE_CONTENT
    data: PageContentData
    provenance: Provenance
