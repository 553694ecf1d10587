"""Reading order of text blocks by recursive XY-cut: columns are read whole, not zig-zag."""

from collections.abc import Sequence
from typing import TypeVar

from schemas.blocks import BBox

__all__ = [
    "COLUMN_HEIGHT_SHARE",
    "MIN_BLOCKS_PER_COLUMN",
    "MIN_COLUMN_GAP",
    "MIN_ROW_GAP",
    "reading_order",
]

T = TypeVar("T")

MIN_COLUMN_GAP = 8.0
MIN_ROW_GAP = 1.0
COLUMN_HEIGHT_SHARE = 0.5
MIN_BLOCKS_PER_COLUMN = 3


def reading_order(items: Sequence[T], boxes: Sequence[BBox]) -> list[T]:
    """Return `items` sorted into reading order using their boxes (x0, y0, x1, y1)."""
    order = _xy_cut(list(range(len(items))), boxes)
    return [items[i] for i in order]


def _xy_cut(indices: list[int], boxes: Sequence[BBox]) -> list[int]:
    if len(indices) <= 1:
        return indices
    column_split = _split_at_gap(indices, boxes, axis=0, min_gap=MIN_COLUMN_GAP)
    row_split = _split_at_gap(indices, boxes, axis=1, min_gap=MIN_ROW_GAP)
    if column_split is not None and (
        row_split is None or _columns_are_tall(column_split, indices, boxes)
    ):
        left, right = column_split
        return _xy_cut(left, boxes) + _xy_cut(right, boxes)
    if row_split is not None:
        top, bottom = row_split
        return _xy_cut(top, boxes) + _xy_cut(bottom, boxes)
    return sorted(indices, key=lambda i: (round(boxes[i][1], 1), boxes[i][0]))


def _split_at_gap(
    indices: list[int], boxes: Sequence[BBox], axis: int, min_gap: float
) -> tuple[list[int], list[int]] | None:
    """Split at the widest gap in the projection on `axis` (0 = x, 1 = y), if one exists."""
    spans = sorted((boxes[i][axis], boxes[i][axis + 2], i) for i in indices)
    best_gap = min_gap
    best_cut: float | None = None
    reach = spans[0][1]
    for start, end, _ in spans[1:]:
        gap = start - reach
        if gap >= best_gap:
            best_gap = gap
            best_cut = (start + reach) / 2
        reach = max(reach, end)
    if best_cut is None:
        return None
    cut = best_cut
    before = [i for i in indices if boxes[i][axis + 2] <= cut]
    after = [i for i in indices if boxes[i][axis + 2] > cut]
    return before, after


def _columns_are_tall(
    split: tuple[list[int], list[int]], indices: list[int], boxes: Sequence[BBox]
) -> bool:
    """True when both sides of a split are real columns: several blocks spanning most of the
    region's height (two short label/value rows are read as rows, not as columns)."""
    region_height = _extent(indices, boxes, axis=1)
    if region_height <= 0:
        return False
    return all(
        len(side) >= MIN_BLOCKS_PER_COLUMN
        and _extent(side, boxes, axis=1) >= COLUMN_HEIGHT_SHARE * region_height
        for side in split
    )


def _extent(indices: list[int], boxes: Sequence[BBox], axis: int) -> float:
    return max(boxes[i][axis + 2] for i in indices) - min(boxes[i][axis] for i in indices)
