"""Spaces restored from glyph gaps on lines whose text layer has none
(`CompositionofthepretrainingdataforOLMo2`): only lines that look run together pay for it."""

import re
from collections.abc import Sequence

from pipeline.local.structure.accents import Glyph

__all__ = ["LONG_WORD", "WORD_GAP", "looks_run_together", "restore_spaces"]

LONG_WORD = 20
"""A run of this many letters without a space is taken as words run together."""
_LONG_RUN = re.compile(rf"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]{{{LONG_WORD},}}")
"""Latin, Greek and Cyrillic letters only: scripts written without spaces are left alone."""

WORD_GAP = 0.09
"""A gap wider than this share of the font size between two glyphs is a word space (MuPDF
itself only inserts one from about 0.15)."""


def looks_run_together(text: str) -> bool:
    """True when a word of the line is abnormally long (cheap check on the extracted text)."""
    return _LONG_RUN.search(text) is not None


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
