"""Spaces restored from glyph gaps on lines whose text layer has none
(`CompositionofthepretrainingdataforOLMo2`): only lines that look run together pay for it."""

from collections.abc import Sequence

from pipeline.local.structure.accents import Glyph

__all__ = ["LONG_WORD", "WORD_GAP", "looks_run_together", "restore_spaces"]

LONG_WORD = 20
"""A run of this many letters without a space is taken as words run together."""

WORD_GAP = 0.09
"""A gap wider than this share of the font size between two glyphs is a word space (MuPDF
itself only inserts one from about 0.15)."""


def looks_run_together(text: str) -> bool:
    """True when a word of the line is abnormally long (cheap check on the extracted text)."""
    return any(sum(char.isalpha() for char in word) >= LONG_WORD for word in text.split() if word)


def restore_spaces(glyphs: Sequence[Glyph]) -> list[Glyph]:
    """The glyphs with a space inserted wherever the gap to the previous glyph is a word gap."""
    result: list[Glyph] = []
    for glyph in glyphs:
        if result and glyph.char != " " and result[-1].char != " ":
            previous = result[-1]
            gap = glyph.x0 - previous.x1
            if gap > WORD_GAP * max(glyph.size, previous.size):
                result.append(Glyph(" ", previous.x1, glyph.x0, glyph.size))
        result.append(glyph)
    return result
