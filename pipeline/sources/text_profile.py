"""What a PDF page's text layer says about legibility: how much text, and how small."""

from dataclasses import dataclass

import pymupdf

__all__ = ["BODY_QUANTILE", "MIN_CREDIBLE_FONT_PT", "TextLayerProfile", "text_layer_profile"]

BODY_QUANTILE = 0.05
"""The smallest body font is the size at or under which this share of the characters is set:
a footnote block counts, a superscript or a page number does not."""
MIN_CREDIBLE_FONT_PT = 3.0
"""Spans reported smaller are scaled by their matrix or invisible (MuPDF reports 1 pt for
some transformed text); they are left out of the sizes, not of the count."""
_TEXT_ONLY = pymupdf.TEXT_MEDIABOX_CLIP
"""No images, no ligature or whitespace preservation: the cheapest extraction of visible text."""


@dataclass(frozen=True)
class TextLayerProfile:
    """Non-blank characters of the text layer, and its smallest body font (None without)."""

    chars: int
    min_font_pt: float | None


def text_layer_profile(page: pymupdf.Page) -> TextLayerProfile:
    """One `get_text("dict")` without images; the caller holds MuPDF's lock and error boundary."""
    sizes: list[tuple[float, int]] = []
    chars = 0
    for block in page.get_text("dict", flags=_TEXT_ONLY)["blocks"]:
        for line in block.get("lines", ()):
            for span in line["spans"]:
                count = sum(1 for char in span["text"] if not char.isspace())
                chars += count
                if count and span["size"] >= MIN_CREDIBLE_FONT_PT:
                    sizes.append((float(span["size"]), count))
    return TextLayerProfile(chars, _quantile_size(sizes))


def _quantile_size(sizes: list[tuple[float, int]]) -> float | None:
    if not sizes:
        return None
    sizes.sort()
    wanted = BODY_QUANTILE * sum(count for _, count in sizes)
    seen = 0
    for size, count in sizes:
        seen += count
        if seen >= wanted:
            return round(size, 2)
    return round(sizes[-1][0], 2)
