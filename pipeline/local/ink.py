"""Where a picture has ink: boxes around the groups of pixels that stand out from its background.

OCR's text detector costs the same for every pixel it is given, text or not: a full 150 dpi
page with one line on it costs a second of CPU. Detection is therefore run on the parts of the
picture that hold ink (padded), and not at all on a blank one. Ink is grouped so that a
scanner's dark edge or a speck in a corner does not stretch one box over the whole page.

The background is the most common grey level (white paper, a dark slide, a coloured form
alike); ink is any pixel more than `INK_CONTRAST` grey levels away from it, measured at full
resolution so a hairline counts.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

__all__ = ["INK_CONTRAST", "InkSettings", "ink_boxes", "ink_groups", "ink_mask"]

INK_CONTRAST = 48
"""Grey levels between ink and background: light-grey print (about 170 on white) counts, JPEG
ringing and paper texture (within about 30) do not."""

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class InkSettings:
    """Padding and when a box is worth cutting out."""

    contrast: int = INK_CONTRAST
    margin: int = 32
    """Pixels kept around the ink, so the detector sees each line with its surroundings."""
    max_width_to_height: float = 8.0
    """A wider box is made taller: RapidOCR letterboxes wider inputs, which the full page
    never needs."""
    align: int = 32
    """Sides are grown to a multiple of this: RapidOCR's detector resizes its input to
    multiples of 32, which would stretch an unaligned cut-out (boxes off by a few pixels)."""
    worth_cutting: float = 0.85
    """Boxes covering more of the picture than this are not cut (the saving is small)."""
    tile: int = 16
    """Squares the ink is grouped by (px)."""
    join: int = 64
    """Ink this close is one group: words of a line and lines of a paragraph are closer, a
    scanner's dark edge and a page's text or two distant stamps are not."""
    max_boxes: int = 12
    """More groups than this (speckled scans) are detected as one box around them all."""


def ink_boxes(image: Image.Image, settings: InkSettings = InkSettings()) -> list[Box]:
    """The padded boxes (left, top, right, bottom) holding the picture's ink, one per group of
    ink (`settings.join` px apart at most), left to right within top to bottom; the whole
    picture when they would cover most of it or be too many; [] when it has no ink at all."""
    groups = ink_groups(ink_mask(image, settings.contrast), settings.tile, settings.join)
    if not groups:
        return []
    if len(groups) > settings.max_boxes:
        groups = [_union(groups)]
    width, height = image.size
    boxes = _separate([_cut_out(group, width, height, settings) for group in groups])
    if sum(_area(box) for box in boxes) > settings.worth_cutting * width * height:
        return [(0, 0, width, height)]
    return sorted(boxes, key=lambda box: (box[1], box[0]))


def ink_mask(image: Image.Image, contrast: int = INK_CONTRAST) -> "np.ndarray[Any, Any]":
    """True where a pixel is more than `contrast` grey levels from the most common one."""
    grey = image.convert("L")
    histogram = grey.histogram()
    background = max(range(256), key=histogram.__getitem__)
    table = [255 if abs(level - background) > contrast else 0 for level in range(256)]
    return np.asarray(grey.point(table), dtype=bool)


def ink_groups(mask: "np.ndarray[Any, Any]", tile: int, join: int) -> list[Box]:
    """Boxes of the inked pixels, grouped: the mask is cut into `tile` px squares, squares
    with ink at most `join` px apart (in squares, rounded up) are one group, and each group's
    box is that of its inked pixels."""
    height, width = mask.shape
    rows, columns = -(-height // tile), -(-width // tile)
    padded = np.zeros((rows * tile, columns * tile), dtype=bool)
    padded[:height, :width] = mask
    inked: np.ndarray[Any, Any] = np.asarray(
        padded.reshape(rows, tile, columns, tile).any(axis=(1, 3))
    )
    reach = max(1, -(-join // tile))
    seen = np.zeros_like(inked)
    boxes: list[Box] = []
    for row, column in zip(*np.nonzero(inked), strict=True):
        if seen[row, column]:
            continue
        members = _flood(inked, seen, int(row), int(column), reach)
        top = min(r for r, _ in members) * tile
        left = min(c for _, c in members) * tile
        bottom = min(height, (max(r for r, _ in members) + 1) * tile)
        right = min(width, (max(c for _, c in members) + 1) * tile)
        boxes.append(_tight(mask, (left, top, right, bottom)))
    return boxes


def _padded(box: Box, margin: int, width: int, height: int) -> Box:
    left, top, right, bottom = box
    return (
        max(0, left - margin),
        max(0, top - margin),
        min(width, right + margin),
        min(height, bottom + margin),
    )


def _tall_enough(top: int, bottom: int, width: int, height: int, ratio: float) -> tuple[int, int]:
    """Grow [top, bottom) around its middle, within the picture, until `width` is at most
    `ratio` times its height."""
    needed = min(height, math.ceil(width / ratio))
    if bottom - top >= needed:
        return top, bottom
    middle = (top + bottom) / 2
    top = max(0, min(height - needed, round(middle - needed / 2)))
    return top, top + needed


def _aligned(low: int, high: int, limit: int, step: int) -> tuple[int, int]:
    """Grow [low, high) to a multiple of `step` long, rightwards first, within [0, limit)."""
    size = math.ceil((high - low) / step) * step
    if size >= limit:
        return 0, limit
    high = min(limit, low + size)
    return high - size, high


def _flood(
    inked: "np.ndarray[Any, Any]",
    seen: "np.ndarray[Any, Any]",
    row: int,
    column: int,
    reach: int,
) -> list[tuple[int, int]]:
    """The inked squares reachable from (row, column) in steps of at most `reach` squares."""
    rows, columns = inked.shape
    seen[row, column] = True
    stack, members = [(row, column)], []
    while stack:
        r, c = stack.pop()
        members.append((r, c))
        top, bottom = max(0, r - reach), min(rows, r + reach + 1)
        left, right = max(0, c - reach), min(columns, c + reach + 1)
        window = inked[top:bottom, left:right] & ~seen[top:bottom, left:right]
        for dr, dc in zip(*np.nonzero(window), strict=True):
            seen[top + dr, left + dc] = True
            stack.append((top + int(dr), left + int(dc)))
    return members


def _tight(mask: "np.ndarray[Any, Any]", box: Box) -> Box:
    """`box` shrunk to the inked pixels inside it."""
    left, top, right, bottom = box
    window = mask[top:bottom, left:right]
    columns = np.flatnonzero(window.any(axis=0))
    rows = np.flatnonzero(window.any(axis=1))
    return (
        left + int(columns[0]),
        top + int(rows[0]),
        left + int(columns[-1]) + 1,
        top + int(rows[-1]) + 1,
    )


def _cut_out(inked: Box, width: int, height: int, settings: InkSettings) -> Box:
    left, top, right, bottom = _padded(inked, settings.margin, width, height)
    top, bottom = _tall_enough(top, bottom, right - left, height, settings.max_width_to_height)
    left, right = _aligned(left, right, width, settings.align)
    top, bottom = _aligned(top, bottom, height, settings.align)
    return (left, top, right, bottom)


def _separate(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes replaced by their union until none overlap (no ink detected twice)."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i, first in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                if _overlap(first, boxes[j]):
                    boxes[i] = _union([first, boxes[j]])
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _union(boxes: list[Box]) -> Box:
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )


def _area(box: Box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])
