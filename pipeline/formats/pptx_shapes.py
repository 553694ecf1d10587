"""One PPTX slide as typed blocks, shapes in reading order.

- order: the title placeholder first, then shapes top to bottom, left to right by position
  (a group is walked in place, its members ordered the same way);
- the title: `title` (level 1) on a title slide's centred title, else `section_header` level 2;
- text: in a body/object placeholder every paragraph is a list item (depth = its level, `•`,
  or `1.`, `2.`… under `a:buAutoNum`) unless it sets `a:buNone`; in other shapes a paragraph
  is a list item only when it sets `a:buChar`/`a:buAutoNum`, else a paragraph;
- tables: merged cells as spans (`pptx` origin cells), the first row as header;
- pictures: a `figure` block (alt text as its text) and a `PictureRef` for its image job;
- charts: a `figure` block (the chart's title) and the chart's data as a table (categories
  down, series across);
- speaker notes: a paragraph `Notes:` followed by the notes' paragraphs, after the slide.

Boxes are the shapes' positions in points.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

from pipeline.formats.content import NO_BOX, block, table_block
from pipeline.formats.grid import GridBuilder
from pipeline.formats.ooxml import q
from pipeline.formats.pictures import PictureRef, alt_text
from pipeline.formats.sheets import display_value
from schemas.blocks import BBox, Block, BlockKind, TableGrid

__all__ = ["NOTES_MARKER", "SlideBlocks", "slide_blocks", "slide_title"]

NOTES_MARKER = "Notes:"
_EMU_PER_POINT = 12700
_MAX_SPAN = 1000
_TITLES = frozenset(
    {PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE, PP_PLACEHOLDER.VERTICAL_TITLE}
)
_BODIES = frozenset(
    {
        PP_PLACEHOLDER.BODY,
        PP_PLACEHOLDER.OBJECT,
        PP_PLACEHOLDER.VERTICAL_BODY,
        PP_PLACEHOLDER.VERTICAL_OBJECT,
    }
)


@dataclass
class SlideBlocks:
    """A slide's blocks and the pictures placed on it."""

    blocks: list[Block] = field(default_factory=list)
    pictures: list[PictureRef] = field(default_factory=list)


def slide_title(slide: Any) -> str | None:
    """The text of the slide's title placeholder, None when it has none."""
    for shape in slide.shapes:
        if _placeholder_type(shape) in _TITLES and shape.has_text_frame:
            text = " ".join(shape.text_frame.text.split())
            return text[:500] or None
    return None


def slide_blocks(slide: Any) -> SlideBlocks:
    """Every block of the slide, notes last."""
    out = SlideBlocks()
    shapes = list(slide.shapes)
    titles = [shape for shape in shapes if _placeholder_type(shape) in _TITLES]
    for shape in titles + _reading_order(s for s in shapes if s not in titles):
        _shape(shape, slide.part, out)
    if slide.has_notes_slide:
        notes = slide.notes_slide.notes_text_frame
        lines = [p for p in _paragraph_texts(notes) if p] if notes is not None else []
        if lines:
            out.blocks.append(block(BlockKind.PARAGRAPH, NOTES_MARKER))
            out.blocks.extend(block(BlockKind.PARAGRAPH, line) for line in lines)
    return out


def _reading_order(shapes: Iterable[Any]) -> list[Any]:
    return sorted(shapes, key=lambda shape: (shape.top or 0, shape.left or 0))


def _shape(shape: Any, part: Any, out: SlideBlocks) -> None:
    kind = shape.shape_type
    if kind == MSO_SHAPE_TYPE.GROUP:
        for member in _reading_order(shape.shapes):
            _shape(member, part, out)
        return
    box = _box(shape)
    placeholder = _placeholder_type(shape)
    if placeholder in _TITLES and shape.has_text_frame:
        text = " ".join(shape.text_frame.text.split())
        if text:
            centred = placeholder == PP_PLACEHOLDER.CENTER_TITLE
            heading = BlockKind.TITLE if centred else BlockKind.SECTION_HEADER
            out.blocks.append(block(heading, text, level=1 if centred else 2, bbox=box))
        return
    if getattr(shape, "has_table", False) and shape.has_table:
        out.blocks.append(table_block(_table(shape.table), box))
        return
    if getattr(shape, "has_chart", False) and shape.has_chart:
        _chart(shape.chart, box, out)
        return
    if shape.has_text_frame:
        _text_frame(shape.text_frame, placeholder in _BODIES, box, out)
    _pictures(shape, part, box, out)


def _text_frame(frame: Any, bulleted: bool, box: BBox, out: SlideBlocks) -> None:
    counters: dict[int, int] = {}
    for paragraph in frame.paragraphs:
        text = " ".join("".join(run.text for run in paragraph.runs).split())
        if not text:
            text = " ".join(paragraph.text.split()) if hasattr(paragraph, "text") else ""
        if not text:
            continue
        ppr = paragraph._p.pPr
        level = int(paragraph.level or 0)
        bullet = _bullet(ppr, bulleted)
        if bullet is None:
            counters.clear()
            out.blocks.append(block(BlockKind.PARAGRAPH, text, bbox=box))
            continue
        if bullet == "auto":
            counters[level] = counters.get(level, 0) + 1
            for deeper in [key for key in counters if key > level]:
                del counters[deeper]
            marker = f"{counters[level]}."
        else:
            marker = bullet
        out.blocks.append(block(BlockKind.LIST_ITEM, text, marker=marker, depth=level, bbox=box))


def _bullet(ppr: Any, bulleted: bool) -> str | None:
    """'auto' for numbered, the bullet glyph, or None for a plain paragraph."""
    if ppr is not None:
        if ppr.find(q("a:buNone")) is not None:
            return None
        if ppr.find(q("a:buAutoNum")) is not None:
            return "auto"
        char = ppr.find(q("a:buChar"))
        if char is not None:
            return "\u2022"
    return "\u2022" if bulleted else None


def _table(table: Any) -> TableGrid:
    """The table's `a:tbl` read directly: `gridSpan`/`rowSpan` on the origin cell,
    `hMerge`/`vMerge` on the cells it covers."""
    builder = GridBuilder()
    rows = table._tbl.findall(f"{q('a:tr')}")
    for row_index, row in enumerate(rows):
        for col_index, cell in enumerate(row.findall(q("a:tc"))):
            if cell.get("hMerge") in ("1", "true") or cell.get("vMerge") in ("1", "true"):
                continue
            text = "\n".join(
                line
                for line in (
                    " ".join("".join(t.text or "" for t in p.iter(q("a:t"))).split())
                    for p in cell.iter(q("a:p"))
                )
                if line
            )
            builder.place(
                row_index,
                col_index,
                text,
                row_span=_span(cell.get("rowSpan")),
                col_span=_span(cell.get("gridSpan")),
            )
        builder.n_rows = max(builder.n_rows, row_index + 1)
    grid = table._tbl.find(q("a:tblGrid"))
    columns = len(grid.findall(q("a:gridCol"))) if grid is not None else 0
    builder.n_cols = max(builder.n_cols, columns)
    return builder.build(1)


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), _MAX_SPAN))
    except ValueError:
        return 1


def _chart(chart: Any, box: BBox, out: SlideBlocks) -> None:
    """A chart: a figure (its title as text) and its data as a table, categories down and
    series across; a chart part python-pptx cannot parse leaves the figure alone."""
    try:
        title = chart.chart_title.text_frame.text if chart.has_title else ""
        plots = list(chart.plots)
        categories = [str(label) for label in plots[0].categories] if plots else []
        series = [(str(s.name), list(s.values)) for plot in plots for s in plot.series]
    except (ValueError, KeyError, AttributeError, IndexError, TypeError):
        title, categories, series = "", [], []
    out.blocks.append(block(BlockKind.FIGURE, " ".join(title.split()), bbox=box))
    if not categories or not series:
        return
    builder = GridBuilder()
    for col, text in enumerate(["", *(name for name, _ in series)]):
        builder.place(0, col, text)
    for row, category in enumerate(categories, start=1):
        builder.place(row, 0, category)
        for col, (_, values) in enumerate(series, start=1):
            value = values[row - 1] if row - 1 < len(values) else None
            builder.place(row, col, display_value(value))
    out.blocks.append(table_block(builder.build(1), box))


def _paragraph_texts(frame: Any) -> list[str]:
    return [" ".join(paragraph.text.split()) for paragraph in frame.paragraphs]


def _pictures(shape: Any, part: Any, box: BBox, out: SlideBlocks) -> None:
    element = shape._element
    alt = _alt_text(element)
    for blip in element.iter(q("a:blip")):
        rel_id = blip.get(q("r:embed"))
        if not rel_id or rel_id not in part.rels:
            continue
        rel = part.rels[rel_id]
        if rel.is_external:
            continue
        member = str(rel.target_part.partname).lstrip("/")
        out.pictures.append(PictureRef(member, alt))
        out.blocks.append(block(BlockKind.FIGURE, alt, bbox=box))


def _alt_text(element: Any) -> str:
    for properties in element.iter(q("p:cNvPr")):
        text = alt_text(properties.get("descr"))
        if text:
            return text
    return ""


def _placeholder_type(shape: Any) -> Any:
    if not shape.is_placeholder:
        return None
    try:
        return shape.placeholder_format.type
    except ValueError:
        return None


def _box(shape: Any) -> BBox:
    if shape.left is None or shape.top is None or shape.width is None or shape.height is None:
        return NO_BOX
    x0 = shape.left / _EMU_PER_POINT
    y0 = shape.top / _EMU_PER_POINT
    return (
        round(x0, 2),
        round(y0, 2),
        round(x0 + shape.width / _EMU_PER_POINT, 2),
        round(y0 + shape.height / _EMU_PER_POINT, 2),
    )
