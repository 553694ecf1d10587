"""Tables of a native-text page: ruled ones from their rules, borderless ones from alignment.

Steps, each in its own module:
- `table_gate`: one `get_cdrawings()`; the regions where horizontal and vertical rules cross
  and close cells. Pages without such a region (that holds text) stop here.
- `table_cells`: the cells those rules close (the lines strategy of `find_tables`, without
  its per-glyph text extraction, which is most of its cost and which nothing here uses).
- `table_grid`: anchor cells with row and column spans, text from the page's words.
- `table_partition`: the cells made a partition of the grid (nested boxes keep the inner
  ones; overlaps resolved in reading order, holes filled with empty cells), here and again
  when each table is finished.
- `table_stacked`: a ruled row printing several rows of numbers on shared baselines is split.
- `table_currency`: currency signs kept with their amounts.
- `table_header`: header rows from style (bold, shading, a heavier rule) or text over numbers;
  a header line printed just above the rules becomes the first row.
- `table_borderless`: aligned, partly numeric rows with no rules.

The page's text may be passed in by a caller that has read it already (its text page, or its
words and "dict"); otherwise words are read once per page and the dict only around tables.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pymupdf

from pipeline.local.table_borderless import find_borderless_tables
from pipeline.local.table_cells import table_cell_boxes
from pipeline.local.table_currency import keep_currency_with_numbers
from pipeline.local.table_gate import Rule, find_ruled_regions, read_rules
from pipeline.local.table_grid import (
    DraftTable,
    Word,
    draft_from_cell_boxes,
    fill_cell_texts,
    rounded_box,
    to_table_grid,
)
from pipeline.local.table_header import StyleHints, detect_header_rows, prepend_header_above
from pipeline.local.table_partition import drop_containers, make_partition
from pipeline.local.table_stacked import split_stacked_rows
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
    """The page's tables, top to bottom, in the page's unrotated coordinates (as its text).

    A caller that has read the page's text already passes it on, so it is not read again:
    its `textpage`, or its `get_text("words")` tuples and its `get_text("dict")`."""
    text = _PageText(page, words, page_dict, textpage)
    page_rules = read_rules(page)
    regions = [
        region
        for region in find_ruled_regions(page_rules.rules)
        if _holds_words(region.bbox, text.words())
    ]
    found: list[FoundTable] = []
    if regions:
        found.extend(
            _ruled_tables(page, [region.rules for region in regions], text, page_rules.fills)
        )
    excluded = [table.bbox for table in found]
    for draft in find_borderless_tables(text.words(), excluded):
        draft.header_rows = detect_header_rows(draft, StyleHints(spans=text.spans(draft.bbox)))
        found.append(_found(draft, None))
    return sorted(found, key=lambda table: (table.bbox[1], table.bbox[0]))


def _ruled_tables(
    page: pymupdf.Page,
    region_rules: Sequence[Sequence[Rule]],
    text: "_PageText",
    fills: Sequence[Any],
) -> list[FoundTable]:
    """The tables the regions' rules close, with text, spans, currency and header rows.

    On a rotated page whose text runs upright only once displayed (a landscape page), the
    rules and words are turned into the displayed view first and the result turned back."""
    view = page.rotation_matrix if page.rotation and not _runs_across(text.words()) else None
    words = _in_view(text.words(), view) if view is not None else text.words()
    area = page.rect if view is not None else page.rect * page.derotation_matrix
    all_rules = [rule for rules in region_rules for rule in rules]
    hints = StyleHints() if view is not None else StyleHints(fills=fills, rules=all_rules)
    found: list[FoundTable] = []
    for rules in region_rules:
        in_view = _rules_in_view(rules, view) if view is not None else rules
        for boxes in table_cell_boxes(in_view):
            draft = draft_from_cell_boxes(boxes)
            if draft is None:
                continue
            draft.cells = drop_containers(draft.cells)
            make_partition(draft)
            fill_cell_texts(draft, words)
            if not _holds_a_table(draft, area):
                continue
            split_stacked_rows(draft, words)
            keep_currency_with_numbers(draft)
            spans = text.spans(draft.bbox) if view is None else []
            draft.header_rows = detect_header_rows(
                draft, StyleHints(spans=spans, fills=hints.fills, rules=hints.rules)
            )
            if draft.header_rows == 0:
                draft.header_rows = 1 if prepend_header_above(draft, words) else 0
            found.append(_found(draft, page.derotation_matrix if view is not None else None))
    return found


def _runs_across(words: Sequence[Word]) -> bool:
    """Most words run left to right in unrotated page space (wider than tall)."""
    long_words = [word for word in words if len(word[4]) >= _LONG_WORD]
    across = sum(1 for word in long_words if word[2] - word[0] > word[3] - word[1])
    return across * 2 >= len(long_words)


def _found(draft: DraftTable, back: pymupdf.Matrix | None) -> FoundTable:
    """The finished table; a draft built in a rotated page's view is mapped back to the
    unrotated coordinates of the page's text."""
    make_partition(draft)
    if back is not None:
        draft.bbox = _mapped(draft.bbox, back)
        for cell in draft.cells:
            cell.bbox = _mapped(cell.bbox, back)
    return FoundTable(bbox=rounded_box(draft.bbox), grid=to_table_grid(draft))


def _mapped(box: BBox, matrix: pymupdf.Matrix) -> BBox:
    return rounded_box(tuple(pymupdf.Rect(box) * matrix))


def _in_view(words: Sequence[Word], matrix: pymupdf.Matrix) -> list[Word]:
    """Words moved into a rotated page's displayed view."""
    moved: list[Word] = []
    for word in words:
        x0, y0, x1, y1 = pymupdf.Rect(word[:4]) * matrix
        moved.append((x0, y0, x1, y1, *word[4:]))
    return moved


def _rules_in_view(rules: Sequence[Rule], matrix: pymupdf.Matrix) -> list[Rule]:
    """Rules moved into a rotated page's displayed view (a quarter turn swaps their axis)."""
    moved: list[Rule] = []
    for rule in rules:
        start = pymupdf.Point(rule.x0, rule.y0) * matrix
        end = pymupdf.Point(rule.x1, rule.y1) * matrix
        x0, x1 = sorted((start.x, end.x))
        y0, y1 = sorted((start.y, end.y))
        moved.append(Rule(x1 - x0 >= y1 - y0, x0, y0, x1, y1, rule.weight))
    return moved


def _holds_a_table(draft: DraftTable, page_rect: pymupdf.Rect) -> bool:
    """Not a figure's grid (text in too few cells), a framed box of text (text in one
    column), nor a frame around the page's prose (reaching off the page, or a cell holding a
    page's worth of lines)."""
    filled = [cell.text for cell in draft.cells if cell.text.strip()]
    if len(filled) < max(_MIN_FILLED_CELLS, _MIN_FILLED_SHARE * len(draft.cells)):
        return False
    if len({cell.col for cell in draft.cells if cell.text.strip()}) < 2:
        return False  # a framed box of text (a code listing, a note), not a table
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
        """Boxes of the text spans inside a table's box and whether each is bold (from the
        caller's dict or text page when there is one, else from the box alone)."""
        if self._page_dict is None and self._textpage is not None:
            self._page_dict = self._textpage.extractDICT()
        page_dict = self._page_dict
        if page_dict is None:
            page_dict = self._page.get_text("dict", clip=pymupdf.Rect(clip))
        x0, y0, x1, y1 = clip
        spans: list[tuple[BBox, bool]] = []
        for block in page_dict["blocks"]:
            bx0, by0, bx1, by1 = block["bbox"]
            if block.get("type") != 0 or bx1 < x0 or bx0 > x1 or by1 < y0 or by0 > y1:
                continue
            for line in block["lines"]:
                for span in line["spans"]:
                    sx0, sy0, sx1, sy1 = span["bbox"]
                    inside = x0 <= (sx0 + sx1) / 2 <= x1 and y0 <= (sy0 + sy1) / 2 <= y1
                    if inside and span["text"].strip():
                        spans.append(((sx0, sy0, sx1, sy1), bool(span["flags"] & _BOLD)))
        return spans
