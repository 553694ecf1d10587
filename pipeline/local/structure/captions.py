"""Captions: a block that starts with `Figure 3:`, `Fig. 2.`, `Table IV -` and the like, or with
`Figure 3 Growth` (a capital after the number, not `Table 2 shows`) when it stands next to
a figure or table."""

import re
from collections.abc import Sequence

from schemas.blocks import BBox

__all__ = ["NEAR", "is_caption"]

NEAR = 36.0
"""A caption without punctuation after its number must be this close (pt) to a figure/table."""

_LABEL = (
    r"^(?:figure|fig\.|table|tab\.|chart|exhibit|listing|algorithm|scheme|plate"
    r"|abbildung|abb\.|tabelle|tableau|tabla|figura)\s*(?:\d+(?:[.\-\u2013]\d+)*|[IVXLC]+)[a-z]?"
)
_STRICT = re.compile(_LABEL + r"\s*(?:[.:|]|[-\u2013\u2014]\s)", re.IGNORECASE)
_LOOSE = re.compile(_LABEL + r"\s+[^\W\d_]", re.IGNORECASE)


def is_caption(text: str, bbox: BBox, visuals: Sequence[BBox]) -> bool:
    """True when the block's text is labelled like a caption (and, without punctuation after
    the label, lies next to one of the page's figures or tables)."""
    if _STRICT.match(text):
        return True
    loose = _LOOSE.match(text)
    if loose is None or not text[loose.end() - 1].isupper():
        return False
    return any(_near(bbox, box) for box in visuals)


def _near(first: BBox, second: BBox) -> bool:
    vertical_gap = max(second[1] - first[3], first[1] - second[3], 0.0)
    overlap = min(first[2], second[2]) - max(first[0], second[0])
    return vertical_gap <= NEAR and overlap > 0
