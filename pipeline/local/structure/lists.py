"""List items: a block that starts with a bullet or an item number; depth from indentation."""

import re
from dataclasses import dataclass

from schemas.rendering.lists import BULLET_GLYPHS

__all__ = ["INDENT_STEP", "DepthTracker", "ListStart", "list_start"]

INDENT_STEP = 4.0
"""Markers whose left edges differ by less than this (pt) are at the same depth."""

_SPACED_BULLETS = frozenset("-*+\u2013\u2014")
_GLYPH_BULLETS = "".join(sorted(BULLET_GLYPHS - _SPACED_BULLETS))
_BULLET = re.compile(rf"^([{re.escape(_GLYPH_BULLETS)}])\s*(?=\S)|^([-*+\u2013\u2014])\s+(?=\S)")
_NUMBER = re.compile(
    r"^(\d{1,3}[.)]|\(\d{1,3}\)|[a-z]\)|\([a-z]\)|\(?[ivx]{1,4}\)|[ivx]{1,4}\.)\s+(?=\S)"
)


@dataclass(frozen=True)
class ListStart:
    """The marker a text starts with and the text after it."""

    marker: str
    text: str
    bullet: bool
    """True for a bullet glyph, False for an item number or letter."""


def list_start(text: str) -> ListStart | None:
    """The list marker at the start of `text`, if it has one."""
    bullet = _BULLET.match(text)
    match = bullet or _NUMBER.match(text)
    if match is None:
        return None
    marker = next(group for group in match.groups() if group)
    return ListStart(marker, text[match.end() :], bullet=bullet is not None)


class DepthTracker:
    """Nesting depth of consecutive list items from their markers' left edges."""

    def __init__(self) -> None:
        self._edges: list[float] = []

    def depth(self, x0: float) -> int:
        """The depth of an item whose marker starts at `x0`."""
        while self._edges and self._edges[-1] > x0 + INDENT_STEP:
            self._edges.pop()
        if not self._edges or x0 > self._edges[-1] + INDENT_STEP:
            self._edges.append(x0)
        return len(self._edges) - 1

    def reset(self) -> None:
        """A block that is not a list item ends the list."""
        self._edges.clear()
