"""Lines into blocks: consecutive lines (in reading order) of one source block stay together
unless the style changes (a heading run into its paragraph), a list item starts, a blank
line's worth of space separates them or a first-line indent follows a sentence end; a long
line that does not end a sentence continues into the next source block (MuPDF splits
widely spaced lines into blocks)."""

from collections.abc import Sequence

from pipeline.local.structure.fonts import SIZE_TOLERANCE
from pipeline.local.structure.lines import TextLine
from pipeline.local.structure.lists import list_start

__all__ = ["INDENT_MAX", "INDENT_MIN", "PARAGRAPH_GAP", "ROW_GAP", "WRAP_MIN_WIDTH", "group_lines"]

PARAGRAPH_GAP = 0.8
"""A vertical gap wider than this share of the font size between two lines starts a block."""
INDENT_MIN = 0.8
INDENT_MAX = 4.0
"""A line starting this many font sizes right of the previous one is a first-line indent."""
SHORT_LINE = 0.75
"""An emphasised line narrower than this share of its neighbour is a heading of its own."""
ROW_GAP = 1.5
"""Pieces of one row closer than this many font sizes are one line..."""
ROW_SIZE_RATIO = 0.25
"""... when their sizes differ by at most this share (a small `Chapter 1.` beside a display
title is not part of it)."""
WRAP_MIN_WIDTH = 12.0
"""A line this many font sizes wide or more may wrap into the next source block."""
_SENTENCE_ENDS = (".", "!", "?", ":", '"', "\u201d", ")")


def group_lines(ordered: Sequence[TextLine]) -> list[list[TextLine]]:
    """The lines cut into runs that each form one block."""
    groups: list[list[TextLine]] = []
    for line in ordered:
        if groups and _continues(groups[-1], line):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _continues(run: Sequence[TextLine], line: TextLine) -> bool:
    previous = run[-1]
    if previous.block_number < 0 or line.block_number < 0:
        return False
    if _same_row(previous, line):
        return True
    if previous.block_number != line.block_number and not _wraps_into(run, line):
        return False
    if previous.mono != line.mono:
        return False
    if abs(previous.size - line.size) > SIZE_TOLERANCE:
        return False
    if (previous.bold != line.bold or previous.italic != line.italic) and _style_break(
        previous, line
    ):
        return False
    gap = line.bbox[1] - previous.bbox[3]
    if line.bbox[1] < previous.bbox[1] or gap > PARAGRAPH_GAP * max(previous.size, line.size):
        return False
    if _indented_start(previous, line) and not _hangs_under_item(run, line):
        return False
    return list_start(line.text) is None


def _same_row(previous: TextLine, line: TextLine) -> bool:
    """The line goes on the previous one's row, just right of it (a bold label and the rest
    of its line that MuPDF cut apart: `Table 1.` + `Results of ...`)."""
    overlap = min(previous.bbox[3], line.bbox[3]) - max(previous.bbox[1], line.bbox[1])
    if overlap < 0.5 * min(previous.height, line.height):
        return False
    if abs(previous.size - line.size) > ROW_SIZE_RATIO * max(previous.size, line.size, 4.0):
        return False
    gap = line.bbox[0] - previous.bbox[2]
    return -1.0 <= gap <= ROW_GAP * max(previous.size, line.size, 1.0)


def _style_break(previous: TextLine, line: TextLine) -> bool:
    """Where the weight or slant changes, a block ends after a sentence end or where the
    emphasised line is short (a heading); a full-width bold lead-in runs on."""
    if previous.text.endswith(_SENTENCE_ENDS):
        return True
    emphasised, other = (previous, line) if previous.bold or previous.italic else (line, previous)
    width = emphasised.bbox[2] - emphasised.bbox[0]
    return width < SHORT_LINE * (other.bbox[2] - other.bbox[0])


def _wraps_into(run: Sequence[TextLine], line: TextLine) -> bool:
    """Across source blocks (MuPDF splits widely spaced lines), a line continues the one
    before when that one is a long line, not ending a sentence, at least as wide as this one
    and starting at the same left edge (or indented as a paragraph's first line), or when it
    hangs under a list item's text."""
    previous = run[-1]
    size = max(previous.size, 1.0)
    width = previous.bbox[2] - previous.bbox[0]
    if width < WRAP_MIN_WIDTH * size or previous.bbox[2] < line.bbox[2] - size:
        return False
    if previous.text.endswith(_SENTENCE_ENDS):
        return False
    indent = previous.bbox[0] - line.bbox[0]
    if abs(indent) <= 0.5 * size or INDENT_MIN * size <= indent <= INDENT_MAX * size:
        return True
    return _hangs_under_item(run, line)


def _hangs_under_item(run: Sequence[TextLine], line: TextLine) -> bool:
    """A line indented under a list item's marker, at the item's text (or its continuation
    lines), continues the item."""
    first = run[0]
    if list_start(first.text) is None:
        return False
    size = max(first.size, 1.0)
    hang = line.bbox[0] - first.bbox[0]
    if not 0 < hang <= INDENT_MAX * size:
        return False
    return len(run) == 1 or abs(run[-1].bbox[0] - line.bbox[0]) <= 0.5 * size


def _indented_start(previous: TextLine, line: TextLine) -> bool:
    """A first-line indent after a line that ends a sentence starts a new paragraph."""
    indent = line.bbox[0] - previous.bbox[0]
    size = max(line.size, 1.0)
    return INDENT_MIN * size <= indent <= INDENT_MAX * size and previous.text.endswith(
        _SENTENCE_ENDS
    )
