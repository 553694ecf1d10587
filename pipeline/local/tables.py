"""Tables of a native-text page: ruled ones with `find_tables`, borderless ones from alignment.

Steps, each in its own module:
- `table_gate`: one `get_cdrawings()`; `find_tables` runs only where horizontal and vertical
  rules cross and close cells, clipped to that region and given only its drawings.
- `table_grid`: anchor cells with row and column spans from the detected cell boxes, text
  from the page's words.
- `table_currency`: currency signs kept with their amounts.
- `table_header`: header rows from style (bold, shading, a heavier rule) or text over numbers;
  a header line printed just above the rules becomes the first row.
- `table_borderless`: aligned, partly numeric rows with no rules.

The page's words (and its "dict", for boldness) may be passed in by a caller that has them
already; otherwise words are read once per page and the dict only around found tables.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pymupdf

from pipeline.local.table_borderless import find_borderless_tables
from pipeline.local.table_currency import keep_currency_with_numbers
from pipeline.local.table_gate import PageRules, RuledRegion, find_ruled_regions, read_rules
from pipeline.local.table_grid import (
    DraftTable,
    Word,
    draft_from_cell_boxes,
    fill_cell_texts,
    rounded_box,
    to_table_grid,
)
from pipeline.local.table_header import StyleHints, detect_header_rows, prepend_header_above
from schemas.blocks import BBox, TableGrid

__all__ = ["FoundTable", "Word", "extract_tables"]

_MIN_FILLED_CELLS = 2
_MIN_FILLED_SHARE = 0.1
"""A ruled grid with text in fewer cells than this share is a figure or a form frame."""
_OFF_PAGE = 2.0
_MAX_CELL_LINES = 30
_BOLD = 16
_LONG_WORD = 3


@dataclass(frozen=True)
class FoundTable:
    """A table found on a page: where it is and its cell grid."""

    bbox: BBox
    grid: TableGrid


def extract_tables(
    page: pymupdf.Page,
    words: Sequence[Word] | None = None,
    page_dict: dict[str, Any] | None = None,
    textpage: pymupdf.TextPage | None = None,
) -> list[FoundTable]:
    """The page's tables, top to bottom.

    A caller that has read the page's text already passes it on, so it is not read again:
    its `textpage`, or its `get_text("words")` tuples and its `get_text("dict")`."""
    text = _PageText(page, words, page_dict, textpage)
    page_rules = read_rules(page)
    regions = [
        region
        for region in find_ruled_regions(page_rules.rules)
        if _holds_words(region.bbox, text.words())
    ]
    rotated = bool(page.rotation) and not _runs_across(text.words())
    view_words = _in_view(text.words(), page.rotation_matrix) if rotated else text.words()
    ruled = _ruled_tables(page, regions, page_rules, view_words, rotated)
    region_rules = [rule for region in regions for rule in region.rules]
    drawn = StyleHints() if rotated else StyleHints(fills=page_rules.fills, rules=region_rules)
    found: list[FoundTable] = []
    for draft in ruled:
        keep_currency_with_numbers(draft)
        spans = text.spans(draft.bbox) if not rotated else []
        draft.header_rows = detect_header_rows(draft, replace(drawn, spans=spans))
        if draft.header_rows == 0:
            draft.header_rows = 1 if prepend_header_above(draft, view_words) else 0
        found.append(_found(draft, page.derotation_matrix if rotated else None))
    excluded = [table.bbox for table in found]
    for draft in find_borderless_tables(text.words(), excluded):
        draft.header_rows = detect_header_rows(draft, StyleHints(spans=text.spans(draft.bbox)))
        found.append(_found(draft, None))
    return sorted(found, key=lambda table: (table.bbox[1], table.bbox[0]))


def _ruled_tables(
    page: pymupdf.Page,
    regions: Sequence[RuledRegion],
    page_rules: PageRules,
    words: Sequence[Word],
    rotated_view: bool,
) -> list[DraftTable]:
    """One `find_tables` call clipped to the ruled regions and given only their drawings; its
    tables as filled grids. On a rotated page the table is found where its text runs upright:
    in unrotated space, or in the rotated view (`words` are then in that view)."""
    if not regions:
        return []
    clip = pymupdf.Rect(
        min(region.bbox[0] for region in regions),
        min(region.bbox[1] for region in regions),
        max(region.bbox[2] for region in regions),
        max(region.bbox[3] for region in regions),
    )
    if rotated_view:
        finder = page.find_tables(clip=clip * page.rotation_matrix, use_layout=False)
    else:
        indices = sorted(frozenset().union(*(region.paths for region in regions)))
        paths = [_as_drawing(page_rules.drawings[index]) for index in indices]
        with _unrotated(page):
            finder = page.find_tables(clip=clip, use_layout=False, paths=paths)
    if finder is None:
        return []
    drafts: list[DraftTable] = []
    for table in finder.tables:
        draft = draft_from_cell_boxes(table.cells)
        if draft is None or draft.n_rows * draft.n_cols < 2:
            continue
        fill_cell_texts(draft, words)
        if _holds_a_table(draft, page.rect):
            drafts.append(draft)
    return drafts


def _runs_across(words: Sequence[Word]) -> bool:
    """Most words run left to right in unrotated page space (wider than tall)."""
    long_words = [word for word in words if len(word[4]) >= _LONG_WORD]
    across = sum(1 for word in long_words if word[2] - word[0] > word[3] - word[1])
    return across * 2 >= len(long_words)


@contextmanager
def _unrotated(page: pymupdf.Page) -> Iterator[None]:
    """The page with rotation 0 for the duration (as `find_tables` does itself otherwise),
    so tables are found in the space where the page's text runs upright."""
    rotation = page.rotation
    if rotation:
        page.set_rotation(0)
    try:
        yield
    finally:
        if rotation:
            page.set_rotation(rotation)


def _found(draft: DraftTable, back: pymupdf.Matrix | None) -> FoundTable:
    """The finished table; a draft built in a rotated page's view is mapped back to the
    unrotated coordinates of the page's text."""
    if back is not None:
        draft.bbox = _mapped(draft.bbox, back)
        for cell in draft.cells:
            cell.bbox = _mapped(cell.bbox, back)
    return FoundTable(bbox=rounded_box(draft.bbox), grid=to_table_grid(draft))


def _mapped(box: BBox, matrix: pymupdf.Matrix) -> BBox:
    return rounded_box(tuple(pymupdf.Rect(box) * matrix))


def _in_view(words: Sequence[Word], matrix: pymupdf.Matrix) -> list[Word]:
    """Words moved into a rotated page's view, where `find_tables` reports its cells."""
    moved: list[Word] = []
    for word in words:
        x0, y0, x1, y1 = pymupdf.Rect(word[:4]) * matrix
        moved.append((x0, y0, x1, y1, *word[4:]))
    return moved


def _holds_a_table(draft: DraftTable, page_rect: pymupdf.Rect) -> bool:
    """Not a figure's grid (text in too few cells), nor a frame around the page's prose
    (reaching off the page, or a cell holding a page's worth of lines)."""
    filled = [cell.text for cell in draft.cells if cell.text.strip()]
    if len(filled) < max(_MIN_FILLED_CELLS, _MIN_FILLED_SHARE * len(draft.cells)):
        return False
    x0, y0, x1, y1 = draft.bbox
    off_page = (
        x0 < page_rect.x0 - _OFF_PAGE
        or y0 < page_rect.y0 - _OFF_PAGE
        or x1 > page_rect.x1 + _OFF_PAGE
        or y1 > page_rect.y1 + _OFF_PAGE
    )
    return not off_page and max(text.count("\n") + 1 for text in filled) <= _MAX_CELL_LINES


def _holds_words(box: BBox, words: Sequence[Word]) -> bool:
    """At least two words have their centre inside the box."""
    count = 0
    for word in words:
        if (
            box[0] <= (word[0] + word[2]) / 2 <= box[2]
            and box[1] <= (word[1] + word[3]) / 2 <= box[3]
        ):
            count += 1
            if count >= _MIN_FILLED_CELLS:
                return True
    return False


def _as_drawing(path: dict[str, Any]) -> dict[str, Any]:
    """A `get_cdrawings()` path in the shape `get_drawings()` gives and `find_tables` reads."""
    items: list[tuple[Any, ...]] = []
    for item in path["items"]:
        operator = item[0]
        if operator == "re":
            items.append((operator, pymupdf.Rect(item[1]), *item[2:]))
        elif operator == "qu":
            items.append((operator, pymupdf.Quad(item[1])))
        else:
            items.append((operator, *(pymupdf.Point(point) for point in item[1:])))
    return {
        "type": path["type"],
        "rect": pymupdf.Rect(path["rect"]),
        "items": items,
        "closePath": path.get("closePath", False),
        "color": path.get("color"),
        "fill": path.get("fill"),
        "width": path.get("width") or 0.0,
    }


class _PageText:
    """The page's words and span styles, read at most once and only when needed."""

    def __init__(
        self,
        page: pymupdf.Page,
        words: Sequence[Word] | None,
        page_dict: dict[str, Any] | None,
        textpage: pymupdf.TextPage | None,
    ) -> None:
        self._page = page
        self._words = words
        self._page_dict = page_dict
        self._textpage = textpage

    def words(self) -> Sequence[Word]:
        if self._words is None:
            if self._textpage is not None:
                self._words = self._textpage.extractWORDS()
            else:
                self._words = self._page.get_text("words")
        return self._words

    def spans(self, clip: BBox) -> list[tuple[BBox, bool]]:
        """Boxes of the text spans around a table (from a whole-page dict when there is one)
        and whether each is bold."""
        if self._page_dict is None and self._textpage is not None:
            self._page_dict = self._textpage.extractDICT()
        page_dict = self._page_dict
        if page_dict is None:
            page_dict = self._page.get_text("dict", clip=pymupdf.Rect(clip))
        return [
            (tuple(span["bbox"]), bool(span["flags"] & _BOLD))
            for block in page_dict["blocks"]
            if block.get("type") == 0
            for line in block["lines"]
            for span in line["spans"]
            if span["text"].strip()
        ]
