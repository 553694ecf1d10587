"""One page's typed blocks from its lines, tables and figures and the document's facts: reading
order, furniture, headings, lists, captions, paragraphs with clean text."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.local.reading_order import reading_order
from pipeline.local.structure.captions import is_caption
from pipeline.local.structure.cleanup import hyphenated_words, join_lines
from pipeline.local.structure.drop_caps import join_drop_caps
from pipeline.local.structure.fonts import FontStats
from pipeline.local.structure.footnotes import is_footnote
from pipeline.local.structure.furniture import margin_stamp
from pipeline.local.structure.headings import Heading, heading_of
from pipeline.local.structure.lines import TextLine
from pipeline.local.structure.lists import DepthTracker, list_start
from pipeline.local.structure.markers import join_lone_markers
from pipeline.local.structure.outline import heading_key
from pipeline.local.structure.paragraphs import group_lines
from pipeline.local.structure.relining import mostly_invisible, reline
from schemas.blocks import MAX_HEADING_LEVEL, BBox, Block, BlockKind, TableGrid

__all__ = ["PageFacts", "PageTable", "page_blocks"]

_TABLE_UNITS = -1
_FIGURE_UNITS = -100_000


@dataclass(frozen=True)
class PageTable:
    """A table found on the page: its box and grid."""

    bbox: BBox
    grid: TableGrid


@dataclass(frozen=True)
class PageFacts:
    """What a page's structure depends on besides its own lines."""

    page_index: int
    stats: FontStats
    breaks_words: bool = True
    """The producer hyphenates words at line ends (see `document.breaks_words_at_line_ends`)."""
    furniture: dict[int, BlockKind] = field(default_factory=dict)
    """Source block number → furniture kind (from the band comparison)."""
    outline: dict[str, int] = field(default_factory=dict)
    """The document outline's headings on this page: heading key → level."""
    page_height: float = 0.0
    """In the text's (unrotated) coordinates; footnotes sit in its lower part."""


def page_blocks(
    lines: Sequence[TextLine],
    tables: Sequence[PageTable],
    figures: Sequence[BBox],
    facts: PageFacts,
) -> list[Block]:
    """The page's blocks in reading order: top furniture, body, bottom furniture."""
    furniture = [line for line in lines if _furniture_kind(line, facts) is not None]
    body = [line for line in lines if _furniture_kind(line, facts) is None]
    if body and mostly_invisible(body):
        body = reline(body)
    body = join_lone_markers(join_drop_caps(body))
    units = _units(body, tables, figures)
    ordered = reading_order(units, [unit.bbox for unit in units])
    keep_hyphenated = hyphenated_words(line.text for line in lines)
    visuals = [table.bbox for table in tables] + list(figures)
    body_blocks = _body_blocks(
        group_lines(ordered), body, tables, figures, visuals, keep_hyphenated, facts
    )
    page_middle = _page_middle(lines)
    head = [line for line in furniture if line.bbox[1] < page_middle]
    foot = [line for line in furniture if line.bbox[1] >= page_middle]
    blocks = [
        *_furniture_blocks(head, facts, keep_hyphenated),
        *body_blocks,
        *_furniture_blocks(foot, facts, keep_hyphenated),
    ]
    return [block.model_copy(update={"index": index}) for index, block in enumerate(blocks)]


def _furniture_kind(line: TextLine, facts: PageFacts) -> BlockKind | None:
    if margin_stamp(line):
        return BlockKind.PAGE_HEADER
    return facts.furniture.get(line.block_number)


def _page_middle(lines: Sequence[TextLine]) -> float:
    if not lines:
        return 0.0
    return (min(line.bbox[1] for line in lines) + max(line.bbox[3] for line in lines)) / 2


def _units(
    lines: list[TextLine], tables: Sequence[PageTable], figures: Sequence[BBox]
) -> list[TextLine]:
    """Lines outside tables, plus one unit per table and figure (negative block numbers), so
    reading order places each as a whole."""
    kept = [line for line in lines if not any(_inside(line.bbox, t.bbox) for t in tables)]
    for number, table in enumerate(tables):
        kept.append(TextLine(_TABLE_UNITS - number, table.bbox, "", 0.0, False))
    for number, box in enumerate(figures):
        kept.append(TextLine(_FIGURE_UNITS - number, box, "", 0.0, False))
    return kept


def _inside(line: BBox, box: BBox) -> bool:
    x_mid = (line[0] + line[2]) / 2
    y_mid = (line[1] + line[3]) / 2
    return box[0] <= x_mid <= box[2] and box[1] <= y_mid <= box[3]


def _body_blocks(
    groups: list[list[TextLine]],
    body: Sequence[TextLine],
    tables: Sequence[PageTable],
    figures: Sequence[BBox],
    visuals: Sequence[BBox],
    keep_hyphenated: set[str],
    facts: PageFacts,
) -> list[Block]:
    blocks: list[Block] = []
    depths = DepthTracker()
    for group in groups:
        number = group[0].block_number
        if _FIGURE_UNITS < number < 0:
            table = tables[_TABLE_UNITS - number]
            blocks.append(Block(index=0, kind=BlockKind.TABLE, bbox=table.bbox, table=table.grid))
            depths.reset()
            continue
        if number <= _FIGURE_UNITS:
            blocks.append(
                Block(index=0, kind=BlockKind.FIGURE, bbox=figures[_FIGURE_UNITS - number])
            )
            depths.reset()
            continue
        text = join_lines([line.text for line in group], keep_hyphenated, facts.breaks_words)
        if is_footnote(group, text, body, facts.stats, facts.page_height):
            bbox = _union([line.bbox for line in group])
            blocks.append(Block(index=0, kind=BlockKind.FOOTNOTE, text=text, bbox=bbox))
            continue
        blocks.append(_text_block(group, visuals, keep_hyphenated, facts, depths))
    return blocks


def _text_block(
    group: list[TextLine],
    visuals: Sequence[BBox],
    keep_hyphenated: set[str],
    facts: PageFacts,
    depths: DepthTracker,
) -> Block:
    bbox = _union([line.bbox for line in group])
    if all(line.mono for line in group):
        depths.reset()
        code = "\n".join(line.text for line in group)
        return Block(index=0, kind=BlockKind.PARAGRAPH, text=code, bbox=bbox)
    text = join_lines([line.text for line in group], keep_hyphenated, facts.breaks_words)
    if is_caption(text, bbox, visuals):
        depths.reset()
        return Block(index=0, kind=BlockKind.CAPTION, text=text, bbox=bbox)
    start = list_start(text)
    heading = (
        None if start and start.bullet else heading_of(group, text, facts.stats, facts.page_index)
    )
    heading = _outlined(heading, text, facts)
    if heading is not None:
        depths.reset()
        return Block(index=0, kind=heading.kind, level=heading.level, text=text, bbox=bbox)
    if start is not None:
        depth = depths.depth(group[0].bbox[0])
        return Block(
            index=0,
            kind=BlockKind.LIST_ITEM,
            text=start.text,
            marker=start.marker,
            depth=depth,
            bbox=bbox,
        )
    depths.reset()
    return Block(index=0, kind=BlockKind.PARAGRAPH, text=text, bbox=bbox)


def _outlined(heading: Heading | None, text: str, facts: PageFacts) -> Heading | None:
    """The heading with the level the document's outline gives it; a short block the outline
    names on this page is a heading even in body type."""
    level = facts.outline.get(heading_key(text))
    if level is None or (heading is not None and heading.kind == BlockKind.TITLE):
        return heading
    offset = 1 if facts.stats.title_size is not None else 0
    return Heading(BlockKind.SECTION_HEADER, min(level + offset, MAX_HEADING_LEVEL))


def _furniture_blocks(
    lines: list[TextLine], facts: PageFacts, keep_hyphenated: set[str]
) -> list[Block]:
    blocks: list[Block] = []
    ordered = sorted(lines, key=lambda line: (line.bbox[1], line.bbox[0]))
    for group in group_lines(ordered):
        kind = _furniture_kind(group[0], facts) or BlockKind.PAGE_HEADER
        text = join_lines([line.text for line in group], keep_hyphenated, facts.breaks_words)
        bbox = _union([line.bbox for line in group])
        blocks.append(Block(index=0, kind=kind, text=text, bbox=bbox))
    return blocks


def _union(boxes: Sequence[BBox]) -> BBox:
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )
