"""Footnotes: small type at the foot of the page, opening with a note mark (`1`, `2)`, `*`,
`†`), with no body text below it in its column."""

import re
from collections.abc import Sequence

from pipeline.local.structure.fonts import FontStats, dominant_size
from pipeline.local.structure.lines import TextLine

__all__ = ["FOOTNOTE_STEP", "FOOTNOTE_ZONE", "is_footnote"]

FOOTNOTE_STEP = 1.0
"""A footnote is set at least this much (pt) smaller than the body text."""
FOOTNOTE_ZONE = 0.6
"""... and starts below this share of the page height."""

_MARK = re.compile(r"^(?:\d{1,3}|[*\u2020\u2021\u00a7\u00b6]{1,3})\)?\s*(?=[^\W\d_]|www\.)")


def is_footnote(
    group: Sequence[TextLine],
    text: str,
    body: Sequence[TextLine],
    stats: FontStats,
    page_height: float,
) -> bool:
    """True when the block is a footnote (see the module's rule); `body` are the page's
    lines outside furniture."""
    if stats.body_size <= 0 or _MARK.match(text) is None:
        return False
    top, bottom = group[0].bbox[1], max(line.bbox[3] for line in group)
    if top < FOOTNOTE_ZONE * page_height:
        return False
    limit = stats.body_size - FOOTNOTE_STEP
    if dominant_size(group) > limit:
        return False
    left = min(line.bbox[0] for line in group)
    right = max(line.bbox[2] for line in group)
    return not any(
        line.size > limit
        and line.bbox[1] >= bottom
        and line.bbox[0] < right
        and line.bbox[2] > left
        for line in body
    )
