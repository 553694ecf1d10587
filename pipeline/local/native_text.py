"""The `local` engine for native-text PDF pages: text in reading order, blocks, tables."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pymupdf

from pipeline.errors import PipelineError
from pipeline.local.reading_order import reading_order
from pipeline.local.tables import FoundTable, extract_tables
from pipeline.sources.mupdf import mupdf_errors
from pipeline.sources.pdf import page_rotation
from schemas.blocks import BBox, Block, BlockKind
from schemas.enums import ErrorCategory
from schemas.extractions import PageContent, PageContentData, PageSize, Provenance

__all__ = ["ENGINE_NAME", "extract_native_page"]

ENGINE_NAME = "pymupdf-text"
_TEXT_FLAGS = (
    pymupdf.TEXT_PRESERVE_LIGATURES
    | pymupdf.TEXT_PRESERVE_WHITESPACE
    | pymupdf.TEXT_MEDIABOX_CLIP
    | pymupdf.TEXT_DEHYPHENATE
)


def extract_native_page(document: pymupdf.Document, page_index: int) -> PageContent:
    """Extract one page's text layer; raise PipelineError(PAGE_ERROR) if the page is unreadable."""
    damaged = document.is_repaired
    if damaged:
        pymupdf.TOOLS.mupdf_warnings(reset=True)
    with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"):
        page = document.load_page(page_index)
        page_dict = page.get_text("dict", flags=_TEXT_FLAGS, sort=False)
        tables = extract_tables(page)
        rect = page.rect
        rotation = page.rotation
    lines = _text_lines(page_dict)
    if damaged and not lines:
        _fail_if_parser_complained(page_index)
    lines = _tables_as_units(lines, tables)
    ordered = reading_order(lines, [line.bbox for line in lines])
    blocks = _regroup(ordered, tables)
    size = PageSize(
        width=round(rect.width, 2), height=round(rect.height, 2), rotation=page_rotation(rotation)
    )
    return PageContent(
        data=PageContentData.from_blocks(blocks, size, ENGINE_NAME),
        provenance=Provenance(
            page_number=page_index + 1,
            bbox=(0.0, 0.0, round(rect.width, 2), round(rect.height, 2)),
        ),
    )


def _fail_if_parser_complained(page_index: int) -> None:
    """In a repaired file, an empty page the parser complained about is lost, not blank."""
    warnings = pymupdf.TOOLS.mupdf_warnings(reset=True).strip()
    if warnings:
        summary = "; ".join(warnings.splitlines()[:3])
        raise PipelineError(
            ErrorCategory.PAGE_ERROR,
            f"page {page_index + 1} could not be recovered from the damaged file: {summary}",
        )


@dataclass(frozen=True)
class _Line:
    block_number: int
    bbox: BBox
    text: str


def _text_lines(page_dict: dict[str, Any]) -> list[_Line]:
    """Every non-empty text line with its block number and box."""
    lines: list[_Line] = []
    for block in page_dict["blocks"]:
        if block.get("type") != 0:
            continue
        for line in block["lines"]:
            text = " ".join("".join(span["text"] for span in line["spans"]).split())
            if text:
                lines.append(_Line(block["number"], _rounded_box(line["bbox"]), text))
    return lines


def _tables_as_units(lines: list[_Line], tables: list[FoundTable]) -> list[_Line]:
    """Replace the lines inside each table by one unit (block number -1 - its index), so
    reading order places the table as a whole instead of walking its columns."""
    if not tables:
        return lines
    kept: list[_Line] = []
    for line in lines:
        x_mid = (line.bbox[0] + line.bbox[2]) / 2
        y_mid = (line.bbox[1] + line.bbox[3]) / 2
        if not any(_contains(table.bbox, x_mid, y_mid) for table in tables):
            kept.append(line)
    for number, table in enumerate(tables):
        kept.append(_Line(block_number=-1 - number, bbox=table.bbox, text=""))
    return kept


def _contains(box: BBox, x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _regroup(ordered: list[_Line], tables: list[FoundTable]) -> list[Block]:
    """Consecutive lines (in reading order) of the same source block form one block.

    Ordering lines rather than blocks matters: the text layer often puts the lines of two
    columns that share a baseline into one block.
    """
    blocks: list[Block] = []
    run: list[_Line] = []
    for line in [*ordered, None]:
        if run and (line is None or line.block_number != run[-1].block_number):
            number = run[0].block_number
            if number < 0:
                table = tables[-1 - number]
                block = Block(
                    index=len(blocks), kind=BlockKind.TABLE, bbox=table.bbox, table=table.grid
                )
            else:
                block = Block(
                    index=len(blocks),
                    kind=BlockKind.PARAGRAPH,
                    text="\n".join(item.text for item in run),
                    bbox=_union(item.bbox for item in run),
                )
            blocks.append(block)
            run = []
        if line is not None:
            run.append(line)
    return blocks


def _union(boxes: Iterable[BBox]) -> BBox:
    x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
    return (min(x0s), min(y0s), max(x1s), max(y1s))


def _rounded_box(values: Sequence[float]) -> BBox:
    x0, y0, x1, y1 = values
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))
