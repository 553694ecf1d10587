"""Figures: the page's placed images, less the tiny ones (logos, rules) and a scan's
full-page background."""

from collections.abc import Iterable

from pipeline.local.structure.lines import rounded_box
from schemas.blocks import BBox

__all__ = ["MAX_FIGURE_SHARE", "MIN_FIGURE_SHARE", "MIN_FIGURE_SIDE", "figure_boxes"]

MIN_FIGURE_SIDE = 24.0
MIN_FIGURE_SHARE = 0.005
MAX_FIGURE_SHARE = 0.8
"""An image covering more of the page than this is a scan's background, not a figure."""


def figure_boxes(image_boxes: Iterable[BBox], width: float, height: float) -> list[BBox]:
    """The image placements that are figures, clipped to the page, overlapping ones merged."""
    area = max(width * height, 1.0)
    found: list[BBox] = []
    for x0, y0, x1, y1 in image_boxes:
        box = rounded_box((max(x0, 0.0), max(y0, 0.0), min(x1, width), min(y1, height)))
        box_width, box_height = box[2] - box[0], box[3] - box[1]
        if min(box_width, box_height) < MIN_FIGURE_SIDE:
            continue
        share = box_width * box_height / area
        if MIN_FIGURE_SHARE <= share <= MAX_FIGURE_SHARE:
            found.append(box)
    return _merged(found)


def _merged(boxes: list[BBox]) -> list[BBox]:
    """Overlapping placements (the pieces of one drawing) as one figure each, in input order."""
    merged: list[BBox] = []
    for box in boxes:
        while True:
            overlapping = [other for other in merged if _overlap(box, other)]
            if not overlapping:
                break
            merged = [other for other in merged if other not in overlapping]
            box = (
                min(box[0], *(o[0] for o in overlapping)),
                min(box[1], *(o[1] for o in overlapping)),
                max(box[2], *(o[2] for o in overlapping)),
                max(box[3], *(o[3] for o in overlapping)),
            )
        merged.append(box)
    return merged


def _overlap(first: BBox, second: BBox) -> bool:
    return min(first[2], second[2]) > max(first[0], second[0]) and min(first[3], second[3]) > max(
        first[1], second[1]
    )
