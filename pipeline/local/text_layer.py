"""Is a PDF page's text layer usable, or does the page need OCR? Pure measures plus a verdict.

The text is measured on the page's "dict" extraction, the same one the native-text engine
builds its blocks from (a caller that has it passes it in, so the page is read once)."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any

import pymupdf

__all__ = [
    "Rect",
    "TextLayerAssessment",
    "TextLayerThresholds",
    "TextLayerVerdict",
    "assess_text_layer",
    "count_unmapped_fonts",
    "is_garbage_code_point",
    "union_area",
]

Rect = tuple[float, float, float, float]

_FILLED_OR_STROKED = 16 | 32
"""MuPDF character flags: a glyph neither filled nor stroked is invisible (render mode 3)."""
_DICT_FLAGS = (
    pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_PRESERVE_LIGATURES
)
_REPLACEMENT_CHAR = 0xFFFD
_PRIVATE_USE_RANGES = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_MAX_RECTS_FOR_UNION = 2000
_GARBAGE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ue000-\uf8ff\ufffd"
    "\U000f0000-\U000ffffd\U00100000-\U0010fffd]"
)
"""`is_garbage_code_point` as a pattern (whitespace controls excluded: they are not counted)."""


class TextLayerVerdict(StrEnum):
    """What to do with a page: use its text layer, OCR it, or nothing (blank page)."""

    TEXT = "text"
    OCR = "ocr"
    EMPTY = "empty"


@dataclass(frozen=True)
class TextLayerThresholds:
    """Tunable limits of `assess_text_layer`."""

    min_chars: int = 20
    max_garbage_ratio: float = 0.1
    scan_image_coverage: float = 0.6
    min_text_coverage_on_scan: float = 0.05
    min_image_coverage: float = 0.02
    trust_invisible_text: bool = True
    min_text_image_px: tuple[int, int] = (8, 32)
    """The smallest picture, in its own pixels (short side, long side), that can hold text
    worth OCR: one line at the smallest height PP-OCR reads (8 px) and a short word (four
    characters of 8 px). A smaller picture (an icon, a 16 x 16 px swatch) counts as a figure
    but never sends its page to OCR: rendering enlarges it, it cannot add letters to it."""


@dataclass(frozen=True)
class TextLayerAssessment:
    """Measures of one page's text layer and the verdict drawn from them.

    Chars exclude whitespace; coverages are fractions of the page area covered by the union
    of text-line boxes and of image placements; garbage chars are U+FFFD (glyphs MuPDF could
    not map to Unicode), private-use code points and control characters.
    """

    chars: int
    visible_chars: int
    invisible_chars: int
    garbage_chars: int
    garbage_ratio: float
    unmapped_fonts: int
    text_coverage: float
    image_coverage: float
    has_drawings: bool | None
    verdict: TextLayerVerdict
    reason: str
    image_boxes: tuple[Rect, ...] = ()
    """Where images are placed on the page (the native-text engine's figures)."""

    @property
    def needs_ocr(self) -> bool:
        return self.verdict is TextLayerVerdict.OCR


@dataclass(frozen=True)
class _TextMeasures:
    chars: int
    invisible_chars: int
    garbage_chars: int
    line_rects: list[Rect]


def assess_text_layer(
    page: pymupdf.Page,
    thresholds: TextLayerThresholds = TextLayerThresholds(),
    page_dict: dict[str, Any] | None = None,
) -> TextLayerAssessment:
    """Measure the page's text layer and decide whether it is usable or the page needs OCR.

    `page_dict` is the page's "dict" extraction when the caller has read it already."""
    rect = page.rect
    area = max(rect.width * rect.height, 1e-9)
    if page_dict is None:
        page_dict = page.get_text("dict", flags=_DICT_FLAGS)
    text = _measure_text(line for block in page_dict["blocks"] for line in block.get("lines", ()))
    images = page.get_image_info()
    image_rects: list[Rect] = [_rect(info["bbox"]) for info in images]
    readable_rects = [
        box
        for box, info in zip(image_rects, images, strict=True)
        if _can_hold_text(info, thresholds.min_text_image_px)
    ]
    text_coverage = union_area(text.line_rects, rect) / area
    image_coverage = union_area(readable_rects, rect) / area
    garbage_ratio = text.garbage_chars / text.chars if text.chars else 0.0
    visible = text.chars - text.invisible_chars
    usable = text.chars - text.garbage_chars
    if not thresholds.trust_invisible_text:
        usable = max(0, usable - text.invisible_chars)
    has_drawings = None
    if usable < thresholds.min_chars and image_coverage < thresholds.min_image_coverage:
        has_drawings = bool(page.get_cdrawings())
    verdict, reason = _verdict(
        thresholds, usable, garbage_ratio, text_coverage, image_coverage, has_drawings
    )
    if verdict is TextLayerVerdict.EMPTY and image_rects:
        reason = f"no text or drawings; {len(image_rects)} picture(s) too small to hold text"
    return TextLayerAssessment(
        chars=text.chars,
        visible_chars=visible,
        invisible_chars=text.invisible_chars,
        garbage_chars=text.garbage_chars,
        garbage_ratio=round(garbage_ratio, 4),
        unmapped_fonts=count_unmapped_fonts(page),
        text_coverage=round(text_coverage, 4),
        image_coverage=round(image_coverage, 4),
        has_drawings=has_drawings,
        verdict=verdict,
        reason=reason,
        image_boxes=tuple(image_rects),
    )


def _verdict(
    limits: TextLayerThresholds,
    usable_chars: int,
    garbage_ratio: float,
    text_coverage: float,
    image_coverage: float,
    has_drawings: bool | None,
) -> tuple[TextLayerVerdict, str]:
    if garbage_ratio > limits.max_garbage_ratio:
        return TextLayerVerdict.OCR, f"{garbage_ratio:.0%} of the text layer is unmapped glyphs"
    if image_coverage >= limits.scan_image_coverage and (
        usable_chars < limits.min_chars or text_coverage < limits.min_text_coverage_on_scan
    ):
        return TextLayerVerdict.OCR, (
            f"images cover {image_coverage:.0%} of the page, text only {text_coverage:.0%}"
        )
    if usable_chars < limits.min_chars and (
        image_coverage >= limits.min_image_coverage or has_drawings
    ):
        return TextLayerVerdict.OCR, f"only {usable_chars} usable characters besides graphics"
    if usable_chars == 0:
        return TextLayerVerdict.EMPTY, "no text, images or drawings"
    return TextLayerVerdict.TEXT, f"{usable_chars} usable characters"


def _measure_text(lines: Iterable[dict[str, Any]]) -> _TextMeasures:
    chars = invisible = garbage = 0
    rects: list[Rect] = []
    for line in lines:
        line_chars = 0
        for span in line["spans"]:
            text = span["text"]
            counted = len("".join(text.split()))
            line_chars += counted
            garbage += len(_GARBAGE.findall(text))
            hidden = not span.get("char_flags", _FILLED_OR_STROKED) & _FILLED_OR_STROKED
            if hidden or span.get("alpha", 255) == 0:
                invisible += counted
        if line_chars:
            chars += line_chars
            rects.append(_rect(line["bbox"]))
    return _TextMeasures(chars, invisible, garbage, rects)


def _can_hold_text(info: dict[str, Any], smallest: tuple[int, int]) -> bool:
    """Whether a placed picture has enough pixels of its own for a line of text (a picture
    whose size MuPDF does not report is assumed to)."""
    width, height = int(info.get("width") or 0), int(info.get("height") or 0)
    if width <= 0 or height <= 0:
        return True
    short, long = sorted((width, height))
    return short >= smallest[0] and long >= smallest[1]


def _rect(values: Sequence[float]) -> Rect:
    x0, y0, x1, y1 = values
    return (float(x0), float(y0), float(x1), float(y1))


def is_garbage_code_point(code: int) -> bool:
    """U+FFFD, private-use and control code points: text that carries no readable meaning."""
    if code == _REPLACEMENT_CHAR or code < 0x20 or 0x7F <= code <= 0x9F or code > 0x10FFFF:
        return True
    return any(low <= code <= high for low, high in _PRIVATE_USE_RANGES)


def count_unmapped_fonts(page: pymupdf.Page) -> int:
    """Fonts on the page whose codes cannot be mapped to Unicode: Identity-encoded Type0 and
    Type3 fonts without a /ToUnicode CMap (their text extracts as U+FFFD or glyph ids)."""
    document = page.parent
    count = 0
    for xref, _ext, font_type, _name, _ref, encoding, *_ in page.get_fonts():
        if font_type not in ("Type0", "Type3") and not str(encoding).startswith("Identity"):
            continue
        kind, _value = document.xref_get_key(xref, "ToUnicode")
        if kind == "null":
            count += 1
    return count


def union_area(rects: Sequence[Sequence[float]], clip: pymupdf.Rect) -> float:
    """Area of the union of rectangles, clipped to `clip` (sweep over x keeping the boxes that
    span the current slice, merging their y-runs)."""
    boxes = [
        (max(r[0], clip.x0), max(r[1], clip.y0), min(r[2], clip.x1), min(r[3], clip.y1))
        for r in rects[:_MAX_RECTS_FOR_UNION]
    ]
    boxes = sorted((b for b in boxes if b[2] > b[0] and b[3] > b[1]), key=lambda b: b[0])
    xs = sorted({x for b in boxes for x in (b[0], b[2])})
    total = 0.0
    active: list[tuple[float, float, float, float]] = []
    start = 0
    for left, right in pairwise(xs):
        while start < len(boxes) and boxes[start][0] <= left:
            active.append(boxes[start])
            start += 1
        active = [b for b in active if b[2] > left]  # x1 is a sweep point, so x1 >= right
        total += _covered_height(sorted([(b[1], b[3]) for b in active])) * (right - left)
    return total


def _covered_height(runs: list[tuple[float, float]]) -> float:
    """Length of the union of y-runs sorted by top."""
    covered, reach = 0.0, float("-inf")
    for top, bottom in runs:
        if bottom <= reach:
            continue
        covered += bottom - (reach if reach > top else top)  # max(top, reach)
        reach = bottom
    return covered
