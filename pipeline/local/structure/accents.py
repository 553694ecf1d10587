"""Accents drawn as separate glyphs: a spacing accent (U+00B4, U+02C7, U+00A8, ...) or a
combining mark placed over a letter is joined with that letter into one character
(`J\u00b4an` becomes `J\u00e1n`)."""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SPACING_ACCENTS", "Glyph", "has_loose_accent", "join_accents"]

SPACING_ACCENTS = {
    "\u00b4": "\u0301",  # acute
    "\u02ca": "\u0301",
    "\u02cb": "\u0300",  # grave
    "\u0060": "\u0300",
    "\u02c6": "\u0302",  # circumflex
    "\u02dc": "\u0303",  # tilde
    "\u00a8": "\u0308",  # diaeresis
    "\u02c7": "\u030c",  # caron
    "\u02da": "\u030a",  # ring
    "\u00af": "\u0304",  # macron
    "\u02c9": "\u0304",
    "\u02d8": "\u0306",  # breve
    "\u02d9": "\u0307",  # dot above
    "\u00b8": "\u0327",  # cedilla
    "\u02db": "\u0328",  # ogonek
    "\u02dd": "\u030b",  # double acute
}
"""Spacing accent glyph → the combining mark it stands for."""

_LOOSE_ACCENT = re.compile(
    "[" + "".join(sorted(SPACING_ACCENTS)) + "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff"
    "\u20d0-\u20ff\ufe20-\ufe2f]"
)
_DOTLESS = {"\u0131": "i", "\u0237": "j"}
_MIN_OVERLAP = 0.3


@dataclass(frozen=True)
class Glyph:
    """One character of a line with its horizontal extent and font size."""

    char: str
    x0: float
    x1: float
    size: float


def has_loose_accent(text: str) -> bool:
    """True when the text holds a spacing accent or a combining mark (cheap pre-check)."""
    return _LOOSE_ACCENT.search(text) is not None


def join_accents(glyphs: Sequence[Glyph]) -> list[Glyph]:
    """Join every accent glyph with the letter it is drawn over (its horizontal centre inside the
    letter's box); an accent over nothing stays as it is."""
    result = list(glyphs)
    index = 0
    while index < len(result):
        glyph = result[index]
        mark = SPACING_ACCENTS.get(glyph.char) or (
            glyph.char if _LOOSE_ACCENT.fullmatch(glyph.char) else None
        )
        base_index = _base_under(result, index) if mark else None
        if mark is None or base_index is None:
            index += 1
            continue
        base = result[base_index]
        letter = _DOTLESS.get(base.char, base.char)
        combined = unicodedata.normalize("NFC", letter + mark)
        result[base_index] = Glyph(combined, base.x0, base.x1, base.size)
        drop = {index} | _spaces_between(result, index, base_index)
        result = [item for position, item in enumerate(result) if position not in drop]
        index = min(index, base_index)
    return result


def _base_under(glyphs: Sequence[Glyph], index: int) -> int | None:
    """The neighbouring letter (spaces skipped) that the accent at `index` overlaps most."""
    accent = glyphs[index]
    width = max(accent.x1 - accent.x0, 1e-6)
    best: tuple[float, int] | None = None
    for step in (-1, 1):
        position = index + step
        while 0 <= position < len(glyphs) and glyphs[position].char == " ":
            position += step
        if not 0 <= position < len(glyphs) or not glyphs[position].char.isalpha():
            continue
        other = glyphs[position]
        overlap = (min(accent.x1, other.x1) - max(accent.x0, other.x0)) / width
        if overlap >= _MIN_OVERLAP and (best is None or overlap > best[0]):
            best = (overlap, position)
    return best[1] if best else None


def _spaces_between(glyphs: Sequence[Glyph], first: int, second: int) -> set[int]:
    low, high = sorted((first, second))
    return {position for position in range(low + 1, high) if glyphs[position].char == " "}
