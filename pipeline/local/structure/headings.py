"""Headings and their levels from the document's font statistics: a short block set larger than
the body text ranks by its size tier; a short bold block in the body size ranks below them,
and a single short italic line (a run-in style heading standing alone) below that. A short
line in the body size that opens with a CJK or Roman-numeral section mark (`一、`, `(一)`,
`第二章`, `제1장`, `Ⅱ.`) is a heading whatever its weight (such documents set headings in a
heavier font the text layer does not flag as bold): at the bold level, one deeper per mark
depth. The largest size, used once on the first page (and at most once on each other
front-matter page: a title page repeating the cover), is the title."""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.local.structure.fonts import FRONT_MATTER_PAGES, FontStats, dominant_size
from pipeline.local.structure.lines import TextLine
from pipeline.local.structure.numbering import numbering_depth, section_mark_depth
from schemas.blocks import MAX_HEADING_LEVEL, BlockKind

__all__ = ["Heading", "heading_of"]

MAX_HEADING_LINES = 3
MAX_HEADING_CHARS = 160
MAX_BOLD_HEADING_WORDS = 12
MAX_SENTENCE_WORDS = 8
MAX_ITALIC_HEADING_WORDS = 8
MAX_MARKED_HEADING_CHARS = 40
_CLAUSE_ENDS = (".", ",", ";", ":", "!", "?")
_CJK_CLAUSE_ENDS = ("。", "\uff0c", "\uff1b", "\uff1a", "\uff01", "\uff1f", "\uff0e", "、")
_SIZE_SLACK = 0.5
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True)
class Heading:
    kind: BlockKind
    level: int


def heading_of(
    lines: Sequence[TextLine], text: str, stats: FontStats, page_index: int
) -> Heading | None:
    """The block's heading kind and level, or None for body text."""
    if not _heading_shaped(lines, text):
        return None
    size = dominant_size(lines)
    if stats.is_heading_size(size):
        if page_index < FRONT_MATTER_PAGES and stats.is_title_size(size):
            return Heading(BlockKind.TITLE, 1)
        return _section(text, stats.level_of(size), size, stats)
    bold_body = (
        all(line.bold for line in lines)
        and size >= stats.body_size - _SIZE_SLACK
        and len(text.split()) <= MAX_BOLD_HEADING_WORDS
        and len(lines) <= 2
    )
    if bold_body:
        return _section(text, stats.bold_body_level, size, stats)
    italic_body = (
        len(lines) == 1
        and lines[0].italic
        and abs(size - stats.body_size) <= _SIZE_SLACK
        and len(text.split()) <= MAX_ITALIC_HEADING_WORDS
        and text[0].isupper()
        and not text.endswith(_CLAUSE_ENDS)
    )
    if italic_body:
        return _section(text, stats.bold_body_level + 1, size, stats)
    return _marked(lines, text, size, stats)


def _marked(lines: Sequence[TextLine], text: str, size: float, stats: FontStats) -> Heading | None:
    """A single short body-size line opening with a section mark, not ending a clause."""
    depth = section_mark_depth(text)
    if depth is None or len(lines) != 1 or len(text) > MAX_MARKED_HEADING_CHARS:
        return None
    if size < stats.body_size - _SIZE_SLACK or text.endswith(_CLAUSE_ENDS + _CJK_CLAUSE_ENDS):
        return None
    level = stats.bold_body_level + depth - 1
    return Heading(BlockKind.SECTION_HEADER, min(level, MAX_HEADING_LEVEL))


def _section(text: str, size_level: int, size: float, stats: FontStats) -> Heading:
    """A section header at its size's level, one deeper per numbering component beyond what
    headings of its size usually have (`2.1.1` among `2.1` headings)."""
    level = size_level + stats.depth_below_floor(size, numbering_depth(text))
    return Heading(BlockKind.SECTION_HEADER, min(level, MAX_HEADING_LEVEL))


def _heading_shaped(lines: Sequence[TextLine], text: str) -> bool:
    if len(lines) > MAX_HEADING_LINES or len(text) > MAX_HEADING_CHARS:
        return False
    if len(_LETTER.findall(text)) < 2:
        return False
    return not (text.endswith(".") and len(text.split()) > MAX_SENTENCE_WORDS)
