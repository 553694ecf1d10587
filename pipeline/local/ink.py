"""Where a picture has ink: the box around every pixel that stands out from its background.

OCR's text detector costs the same for every pixel it is given, text or not: a full 150 dpi
page with one line on it costs a second of CPU. Detection is therefore run on the part of the
picture that holds ink (padded), and not at all on a blank one. The background is the most
common grey level (white paper, a dark slide, a coloured form alike); ink is any pixel more
than `INK_CONTRAST` grey levels away from it, measured at full resolution so a hairline
counts.
"""

import math
from dataclasses import dataclass

from PIL import Image

__all__ = ["INK_CONTRAST", "InkSettings", "ink_box"]

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
    """A box covering more of the picture than this is not cut (the saving is small)."""


def ink_box(image: Image.Image, settings: InkSettings = InkSettings()) -> Box | None:
    """The padded box (left, top, right, bottom) holding the picture's ink, the whole picture
    when that box would cover most of it, or None when the picture has no ink at all."""
    grey = image.convert("L")
    histogram = grey.histogram()
    background = max(range(256), key=histogram.__getitem__)
    threshold = settings.contrast
    table = [255 if abs(level - background) > threshold else 0 for level in range(256)]
    inked = grey.point(table).getbbox()
    if inked is None:
        return None
    width, height = image.size
    left, top, right, bottom = _padded(inked, settings.margin, width, height)
    top, bottom = _tall_enough(top, bottom, right - left, height, settings.max_width_to_height)
    left, right = _aligned(left, right, width, settings.align)
    top, bottom = _aligned(top, bottom, height, settings.align)
    if (right - left) * (bottom - top) > settings.worth_cutting * width * height:
        return (0, 0, width, height)
    return (left, top, right, bottom)


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
