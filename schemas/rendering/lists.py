"""List markers: which are numbers (ordered lists) and which are bullets."""

import re

__all__ = ["BULLET_GLYPHS", "ordinal"]

BULLET_GLYPHS = frozenset(
    "\u2022\u25e6\u25aa\u25ab\u2023\u2043\u2219\u00b7\u25cf\u25cb\u25a0\u25a1"
    "\u2013\u2014-*+\u25ba\u25b6\u27a2\u2713\u2714\uf0b7\uf0a7"
)
"""Glyphs that mark an unordered list item (Symbol-font bullets included)."""

_NUMBERED = re.compile(r"^\(?(\d{1,9})[.)]$")


def ordinal(marker: str | None) -> int | None:
    """The number of an ordered list marker ('3.', '3)', '(3)'), None for anything else."""
    if marker is None:
        return None
    match = _NUMBERED.match(marker.strip())
    return int(match.group(1)) if match else None
