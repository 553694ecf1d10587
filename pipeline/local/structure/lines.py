"""A page's text lines from one MuPDF text page: text, box, dominant font size and weight.

The "dict" extraction serves every line; only lines whose text shows a loose accent or words
run together are rebuilt from their glyphs ("rawdict" of the same text page, read once and
only when such a line exists)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pipeline.local.structure.accents import Glyph, has_loose_accent, join_accents
from pipeline.local.structure.cleanup import clean_text
from pipeline.local.structure.spacing import looks_run_together, restore_spaces
from schemas.blocks import BBox

__all__ = ["TextLine", "read_lines", "rounded_box"]

_BOLD_FLAG = 16
_ITALIC_FLAG = 2
_MONO_FLAG = 8
_FILLED_OR_STROKED = 16 | 32
_HORIZONTAL_TOLERANCE = 0.05

RawDict = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class TextLine:
    """One line of text as read: its source block, box, clean text and dominant style."""

    block_number: int
    bbox: BBox
    text: str
    size: float
    bold: bool
    italic: bool = False
    mono: bool = False
    invisible: bool = False
    horizontal: bool = True
    chars: int = 0
    """Non-space characters as extracted (before repairs): the weight in font statistics."""

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    def moved(self, **changes: Any) -> "TextLine":
        """A copy with some fields changed."""
        return replace(self, **changes)


def read_lines(page_dict: dict[str, Any], raw_dict: RawDict) -> list[TextLine]:
    """Every non-empty text line of the page, text repaired from glyphs (`raw_dict`, the same
    text page's "rawdict", asked for only when needed) where the layer needs it."""
    lines: list[TextLine] = []
    repairs: list[tuple[int, int, int]] = []
    for block_index, block in enumerate(page_dict["blocks"]):
        if block.get("type") != 0:
            continue
        for line_index, line in enumerate(block["lines"]):
            raw_text = "".join(span["text"] for span in line["spans"])
            text = clean_text(raw_text)
            if not text:
                continue
            if has_loose_accent(raw_text) or looks_run_together(text):
                repairs.append((len(lines), block_index, line_index))
            lines.append(_line(block["number"], line, text))
    if repairs:
        raw_blocks = raw_dict()["blocks"]
        for position, block_index, line_index in repairs:
            raw_line = raw_blocks[block_index]["lines"][line_index]
            text = clean_text("".join(glyph.char for glyph in _repaired_glyphs(raw_line)))
            lines[position] = lines[position].moved(text=text)
    return lines


def _line(block_number: int, line: dict[str, Any], text: str) -> TextLine:
    weights: dict[float, int] = {}
    bold = italic = mono = invisible = total = 0
    for span in line["spans"]:
        count = len(span["text"].strip())
        total += count
        half_point = round(span["size"] * 2) / 2
        weights[half_point] = weights.get(half_point, 0) + count
        if span["flags"] & _BOLD_FLAG:
            bold += count
        if span["flags"] & _ITALIC_FLAG:
            italic += count
        if span["flags"] & _MONO_FLAG:
            mono += count
        if not span.get("char_flags", _FILLED_OR_STROKED) & _FILLED_OR_STROKED:
            invisible += count
    size = max(weights, key=weights.__getitem__) if weights else 0.0  # first of the heaviest
    direction = line.get("dir", (1.0, 0.0))
    return TextLine(
        block_number=block_number,
        bbox=rounded_box(line["bbox"]),
        text=text,
        size=size,
        bold=total > 0 and bold * 2 > total,
        italic=total > 0 and italic * 2 > total,
        mono=total > 0 and mono * 2 > total,
        invisible=total > 0 and invisible * 2 > total,
        chars=total,
        horizontal=abs(direction[1]) <= _HORIZONTAL_TOLERANCE and direction[0] > 0,
    )


def _repaired_glyphs(raw_line: dict[str, Any]) -> list[Glyph]:
    glyphs = [
        Glyph(char["c"], char["bbox"][0], char["bbox"][2], span["size"])
        for span in raw_line["spans"]
        for char in span["chars"]
    ]
    glyphs = join_accents(glyphs)
    text = "".join(glyph.char for glyph in glyphs)
    if looks_run_together(clean_text(text)):
        glyphs = restore_spaces(glyphs)
    return glyphs


def rounded_box(values: Sequence[float]) -> BBox:
    """A box with coordinates rounded to 0.01."""
    x0, y0, x1, y1 = values
    return (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))
