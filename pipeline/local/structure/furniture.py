"""Running headers, footers and page numbers.

A block in the top or bottom band of a page is furniture when the same text (digits aside)
stands at about the same place on a neighbouring page (i±1, i±2: alternating heads included),
or, on any page, when it is the outermost block of its band and reads as a page number or a
download/copyright banner. A line set vertically in the margin that names an arXiv
identifier is furniture too."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from pipeline.local.structure.lines import TextLine
from schemas.blocks import BBox, BlockKind

__all__ = [
    "BOTTOM_BAND",
    "NEIGHBOUR_OFFSETS",
    "TOP_BAND",
    "BandBlock",
    "band_blocks",
    "furniture_kinds",
    "margin_stamp",
]

TOP_BAND = 0.1
BOTTOM_BAND = 0.2
"""The top and bottom bands, as shares of the page height (page numbers sit higher than
running heads sit low)."""
NEIGHBOUR_OFFSETS = (-2, -1, 1, 2)
_SIMILARITY = 0.85
_MAX_BAND_CHARS = 200
_POSITION_SLACK = 0.015
_MAX_CAPS_FOOTER = 80

_PAGE_NUMBER = re.compile(
    r"^(?:page|p\.|pg\.?|seite|pagina|página)?\s*[-\u2013\u2014(\[]?\s*"
    r"(?:(?:\d{1,3}\s?[-\u2013.]\s?)?\d{1,4}|[ivxlcdm]{1,7})"
    r"\s*[-\u2013\u2014)\]]?\s*(?:(?:of|/|von|de)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_BANNER = re.compile(
    r"\b(?:downloaded|retrieved) (?:from|by|on)\b|all rights reserved|\u00a9|\bcopyright\b"
    r"|\bpreprint\b|\barxiv:\s*\d|licen[cs]ed under|terms (?:of use|and conditions)"
    r"|permission to make digital|accepted manuscript|under review|\bproceedings of\b",
    re.IGNORECASE,
)
_ARXIV_STAMP = re.compile(r"arxiv:\s*\d{4}\.\d{4,5}", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class BandBlock:
    """A text block lying wholly in the top or bottom band of a page."""

    number: int
    bbox: BBox
    key: str
    top: bool
    numbered: bool
    """One of its lines is a page number (a footer line "Chapter 2 ... 11" holds one)."""
    capitals: bool
    """Its letters are all capitals (and it has some)."""
    outermost: bool
    """No other text block lies beyond it (above a header, below a footer)."""


def band_blocks(
    blocks: Iterable[tuple[float, float, float, float, str, int, int]], height: float
) -> tuple[BandBlock, ...]:
    """The band blocks of a page from MuPDF's block list (x0, y0, x1, y1, text, number, type)."""
    texts = [block for block in blocks if block[6] == 0 and block[4].strip()]
    found: list[BandBlock] = []
    for x0, y0, x1, y1, text, number, _kind in texts:
        top = y1 <= height * TOP_BAND
        bottom = y0 >= height * (1 - BOTTOM_BAND)
        key = _key(text)
        if not key or len(text) > _MAX_BAND_CHARS or not (top or bottom):
            continue
        if top:
            outermost = not any(other[3] <= y0 and other[5] != number for other in texts)
        else:
            outermost = not any(other[1] >= y1 and other[5] != number for other in texts)
        numbered = any(_PAGE_NUMBER.match(_key(line)) for line in text.splitlines())
        capitals = any(char.isalpha() for char in text) and text == text.upper()
        found.append(BandBlock(number, (x0, y0, x1, y1), key, top, numbered, capitals, outermost))
    return tuple(found)


def furniture_kinds(
    own: Sequence[BandBlock],
    neighbours: Sequence[Sequence[BandBlock]],
    width: float,
    height: float,
) -> dict[int, BlockKind]:
    """Block number → furniture kind for the page's band blocks that are furniture."""
    kinds: dict[int, BlockKind] = {}
    for block in own:
        repeated = any(
            _same_place(block, other, width, height) and _similar(block.key, other.key)
            for page in neighbours
            for other in page
        )
        number_only = _PAGE_NUMBER.match(block.key) is not None
        if number_only and (repeated or block.outermost):
            kinds[block.number] = BlockKind.PAGE_NUMBER
        elif repeated or (block.outermost and _single_page_furniture(block)):
            kinds[block.number] = BlockKind.PAGE_HEADER if block.top else BlockKind.PAGE_FOOTER
    return kinds


def _single_page_furniture(block: BandBlock) -> bool:
    """An outermost band block that holds a page number, reads as a banner, or is a short
    all-capitals footer line (`SPEKTRUM DER WISSENSCHAFT · JANUAR 2006`)."""
    if block.numbered or _BANNER.search(block.key):
        return True
    return not block.top and len(block.key) <= _MAX_CAPS_FOOTER and block.capitals


def margin_stamp(line: TextLine) -> bool:
    """A vertical line in the margin naming an arXiv identifier (the arXiv side stamp)."""
    return not line.horizontal and _ARXIV_STAMP.search(line.text) is not None


def _key(text: str) -> str:
    return " ".join(_DIGITS.sub("0", text.lower()).split())


def _same_place(first: BandBlock, second: BandBlock, width: float, height: float) -> bool:
    if first.top != second.top:
        return False
    slack = _POSITION_SLACK * height + 2.0
    if abs(first.bbox[1] - second.bbox[1]) > slack and abs(first.bbox[3] - second.bbox[3]) > slack:
        return False
    overlap = min(first.bbox[2], second.bbox[2]) - max(first.bbox[0], second.bbox[0])
    return overlap > 0 or abs(_centre(first) - _centre(second)) <= 0.1 * width


def _centre(block: BandBlock) -> float:
    return (block.bbox[0] + block.bbox[2]) / 2


def _similar(first: str, second: str) -> bool:
    if first == second:
        return True
    if min(len(first), len(second)) < 8:
        return False
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    return matcher.quick_ratio() >= _SIMILARITY and matcher.ratio() >= _SIMILARITY
