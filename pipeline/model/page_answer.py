"""A page_content answer (PAGE_CONTENT_SCHEMA) as `PageContentData`, and a page's blocks as the
answer a faithful model would give.

Reading an answer adds what the model cannot know and forgives its quirks:

- boxes are scaled from 0..1000 to the page's width and height (its unit: PDF points for
  pages, pixels for images) and put in order (x0 <= x1, y0 <= y1);
- headings keep a level clamped to 1..6, list items their marker and a depth of at least 0;
  other kinds drop those keys;
- a table's grid is read by `table_answer.grid_from_answer`; a table block without a usable
  grid keeps its text as a paragraph, or is dropped when it has none; the `table` of another
  kind is ignored (the kind decides);
- blocks with no text are dropped, except figures.

The page's text and Markdown are derived from the blocks (`PageContentData.from_blocks`).
"""

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model.prompts import NORMALISED_EXTENT
from pipeline.model.table_answer import grid_from_answer, grid_to_answer
from schemas.blocks import HEADING_KINDS, MAX_HEADING_LEVEL, BBox, Block, BlockKind
from schemas.extractions import PageContentData, PageSize

__all__ = ["answer_from_blocks", "normalise_box", "page_content_from_answer", "scale_box"]


def page_content_from_answer(
    answer: Mapping[str, Any], page: PageSize, engine: str
) -> PageContentData:
    """A schema-valid page_content answer as PageContentData, in `page`'s unit."""
    blocks = [_block(item, page) for item in answer["blocks"]]
    return PageContentData.from_blocks([b for b in blocks if b is not None], page, engine)


def answer_from_blocks(blocks: Sequence[Block], page: PageSize) -> dict[str, Any]:
    """The page_content answer that describes `blocks`: each text once, optional keys omitted."""
    return {"blocks": [_block_answer(block, page) for block in blocks]}


def scale_box(box: Sequence[float], page: PageSize) -> BBox:
    """A 0..1000 box in the page's unit, clamped and put in order."""
    x0, y0, x1, y1 = (min(max(float(v), 0.0), NORMALISED_EXTENT) for v in box)
    sx, sy = page.width / NORMALISED_EXTENT, page.height / NORMALISED_EXTENT
    return (min(x0, x1) * sx, min(y0, y1) * sy, max(x0, x1) * sx, max(y0, y1) * sy)


def normalise_box(box: BBox, page: PageSize) -> list[int]:
    """A box in the page's unit as the model writes it: integers in 0..1000."""
    extents = (page.width, page.height, page.width, page.height)
    return [
        min(max(round(value / extent * NORMALISED_EXTENT), 0), NORMALISED_EXTENT)
        for value, extent in zip(box, extents, strict=True)
    ]


def _block(item: Mapping[str, Any], page: PageSize) -> Block | None:
    kind = BlockKind(item["kind"])
    text = str(item.get("text", "")).strip()
    bbox = scale_box(item["bbox"], page)
    if kind == BlockKind.TABLE:
        grid = grid_from_answer(item["table"]) if "table" in item else None
        if grid is not None:
            return Block(index=0, kind=kind, bbox=bbox, table=grid)
        kind = BlockKind.PARAGRAPH
    if not text and kind != BlockKind.FIGURE:
        return None
    level = marker = None
    depth = 0
    if kind in HEADING_KINDS and "level" in item:
        level = min(max(int(item["level"]), 1), MAX_HEADING_LEVEL)
    if kind == BlockKind.LIST_ITEM:
        marker = str(item.get("marker", "")).strip() or None
        depth = max(int(item.get("depth", 0)), 0)
    return Block(index=0, kind=kind, text=text, bbox=bbox, level=level, marker=marker, depth=depth)


def _block_answer(block: Block, page: PageSize) -> dict[str, Any]:
    table = block.table if block.kind == BlockKind.TABLE else None
    answer: dict[str, Any] = {
        "kind": block.kind.value,
        "bbox": normalise_box(block.bbox, page),
        "text": "" if table is not None else block.text,
    }
    if block.kind in HEADING_KINDS and block.level is not None:
        answer["level"] = block.level
    if block.kind == BlockKind.LIST_ITEM:
        if block.marker:
            answer["marker"] = block.marker
        if block.depth:
            answer["depth"] = block.depth
    if table is not None:
        answer["table"] = grid_to_answer(table)
    return answer
