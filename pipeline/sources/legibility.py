"""A cheap measure of the text in pixels: how much of the picture is text, and how small it is.

Used at chunk time for scans, images and video frames, which have no text layer, so that the
budget policy can give them the fewest tokens at which their smallest text stays legible.

The picture is looked at once at `MEASURE_AREA_PX` pixels (the area Gemma 4 keeps at 560
soft tokens; JPEGs are decoded at a reduced DCT scale), binarised with Otsu's threshold (light
text on a dark picture is inverted), and cut into 8-connected components with OpenCV (which
RapidOCR brings along). Glyph-like components (3 px high or more, at most a tenth of the
picture's height, not solid blocks nor thin rules) are the glyphs. With at least `MIN_GLYPHS`
of them the picture holds text; the lower quartile of their heights estimates the x-height of
its smallest text: lowercase letters without ascenders are about half of Latin text, so the
quartile lands on them, while dots and commas stay under the 3 px floor.
"""

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymupdf
from numpy.typing import NDArray
from PIL import Image

from pipeline.errors import ImageError
from pipeline.sources.images import pillow_errors
from pipeline.sources.text_profile import text_layer_profile
from schemas.enums import ErrorCategory

__all__ = [
    "MEASURE_AREA_PX",
    "MIN_GLYPHS",
    "PageLegibility",
    "TextMeasure",
    "measure_gray",
    "measure_image",
    "measure_image_frame",
    "measure_page_pixels",
    "page_legibility",
]

MEASURE_AREA_PX = 560 * 48 * 48
"""1,290,240 px: a US-Letter page at 560 soft tokens (960 x 1344 px), 10 pt text 16 px high."""
MIN_GLYPHS = 12
"""Fewer glyph-like components than this is noise, a logo or a photo: no text."""
_MIN_GLYPH_HEIGHT = 3
_MAX_GLYPH_HEIGHT_SHARE = 0.1
_MAX_WIDTH_PER_HEIGHT = 25.0
"""Glyphs of small text merge into words; wider than this is a horizontal rule."""
_MAX_HEIGHT_PER_WIDTH = 8.0
_MIN_FILL, _MAX_FILL = 0.08, 0.9
_HEIGHT_QUANTILE = 25.0


@dataclass(frozen=True)
class TextMeasure:
    """Text found in a picture, in the picture's own pixels.

    `text_area_share` is the fraction of the picture covered by glyph boxes (0 without text);
    `min_text_height` estimates the x-height of its smallest text (None without text).
    """

    text_area_share: float
    min_text_height: float | None


def measure_gray(gray: NDArray[np.uint8]) -> TextMeasure:
    """Measure text in an 8-bit greyscale picture (one array, rows first), at its own scale."""
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError(f"expected a non-empty 2-D greyscale array, got shape {gray.shape}")
    height, width = gray.shape
    if int(gray.max()) - int(gray.min()) < 32:  # a blank or flat picture
        return TextMeasure(0.0, None)
    import cv2  # OpenCV only where a picture is measured: text-layer PDFs never need it

    _, ink = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if int(ink.sum()) * 2 > ink.size:  # more "ink" than paper: light text on a dark ground
        ink = 1 - ink
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    boxes = stats[1:count]
    w = boxes[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    h = boxes[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    fill = boxes[:, cv2.CC_STAT_AREA] / (w * h)
    glyph = (
        (h >= _MIN_GLYPH_HEIGHT)
        & (h <= _MAX_GLYPH_HEIGHT_SHARE * height)
        & (w <= _MAX_WIDTH_PER_HEIGHT * h)
        & (h <= _MAX_HEIGHT_PER_WIDTH * w)
        & (fill >= _MIN_FILL)
        & (fill <= _MAX_FILL)
    )
    if int(glyph.sum()) < MIN_GLYPHS:
        return TextMeasure(0.0, None)
    share = float((w[glyph] * h[glyph]).sum()) / (width * height)
    x_height = float(np.percentile(h[glyph], _HEIGHT_QUANTILE))
    return TextMeasure(round(min(share, 1.0), 4), x_height)


def measure_image(image: Image.Image) -> TextMeasure:
    """Measure text in a picture at `MEASURE_AREA_PX`; heights in the picture's own pixels.

    An open JPEG not yet loaded is decoded at a reduced scale (`Image.draft`), which is what
    keeps this cheap on camera-sized files.
    """
    if image.width < 1 or image.height < 1:
        raise ValueError("the picture is empty")
    source_area = image.width * image.height
    scale = math.sqrt(MEASURE_AREA_PX / source_area)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    if scale < 1.0:
        image.draft("L", size)
    gray = image.convert("L")
    if gray.size != size:
        gray = gray.resize(size, Image.Resampling.BILINEAR)
    measure = measure_gray(np.asarray(gray, dtype=np.uint8))
    if measure.min_text_height is None:
        return measure
    return TextMeasure(measure.text_area_share, round(measure.min_text_height / scale, 2))


def measure_image_frame(path: Path, frame: int = 0) -> TextMeasure | None:
    """Measure one frame of an image file whose header was already checked; None if its
    pixels cannot be decoded (the job reports that when it runs)."""
    try:
        with (
            pillow_errors(ErrorCategory.CORRUPT_FILE, "the image data cannot be decoded"),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if frame:
                    image.seek(frame)
                return measure_image(image)
    except ImageError:
        return None


def measure_page_pixels(page: pymupdf.Page) -> TextMeasure:
    """Render a page in grey at `MEASURE_AREA_PX` and measure it; heights in points.

    For pages without a usable text layer (scans); the caller holds MuPDF's lock and error
    boundary."""
    rect = page.rect
    zoom = math.sqrt(MEASURE_AREA_PX / (rect.width * rect.height))
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY)
    gray = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width)
    measure = measure_gray(gray)
    if measure.min_text_height is None:
        return measure
    return TextMeasure(measure.text_area_share, round(measure.min_text_height / zoom, 2))


@dataclass(frozen=True)
class PageLegibility:
    """What the budget policy reads of a PDF page: its text layer's characters and smallest
    body font when it has a layer, else (or when the layer holds no characters) the text
    measured in its pixels. The fields are the chunk descriptor's of the same names."""

    text_chars: int | None = None
    min_font_pt: float | None = None
    text_area_share: float | None = None
    min_text_height: float | None = None


def page_legibility(page: pymupdf.Page, has_text_layer: bool) -> PageLegibility:
    """Measure a page for the budget policy (the text layer's profile, else its pixels); the
    caller holds MuPDF's lock and error boundary."""
    text = text_layer_profile(page) if has_text_layer else None
    if text is not None and text.chars:
        return PageLegibility(text_chars=text.chars, min_font_pt=text.min_font_pt)
    pixels = measure_page_pixels(page)
    return PageLegibility(
        text_chars=text.chars if text else None,
        min_font_pt=text.min_font_pt if text else None,
        text_area_share=pixels.text_area_share,
        min_text_height=pixels.min_text_height,
    )
