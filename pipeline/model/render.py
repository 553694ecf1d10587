"""Render a PDF page or an image once, at exactly its budget's target size, as a data URL.

A PDF page is rasterised straight at the target size with a zoom matrix (never rendered large
and shrunk); an image gets one resize. The result is a size the server's processor leaves as it
is (see `pipeline.planning.geometry`), encoded as JPEG (default) or PNG with Pillow, which
encodes JPEG several times faster than MuPDF. Timings are returned so benchmarks can compare
settings.
"""

import base64
import io
import time
from dataclasses import dataclass
from typing import Literal

import pymupdf
from PIL import Image, ImageOps

from pipeline.errors import InvalidChunkError
from pipeline.planning.geometry import (
    RENDER_EDGE_SLACK_PX,
    render_matrix_for_page,
    soft_tokens,
    target_size,
)
from schemas.budget import VisualBudget

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "DEFAULT_PNG_COMPRESS_LEVEL",
    "EncodeOptions",
    "ImageFormat",
    "RenderedImage",
    "data_url",
    "render_image",
    "render_pdf_page",
]

ImageFormat = Literal["jpeg", "png"]
DEFAULT_JPEG_QUALITY = 85
DEFAULT_PNG_COMPRESS_LEVEL = 6
_BACKGROUND = (255, 255, 255)


@dataclass(frozen=True)
class EncodeOptions:
    """How to encode the rendered pixels."""

    image_format: ImageFormat = "jpeg"
    jpeg_quality: int = DEFAULT_JPEG_QUALITY
    png_compress_level: int = DEFAULT_PNG_COMPRESS_LEVEL

    def __post_init__(self) -> None:
        if not 1 <= self.jpeg_quality <= 95:
            raise ValueError("jpeg_quality must be in 1..95")
        if not 0 <= self.png_compress_level <= 9:
            raise ValueError("png_compress_level must be in 0..9")


@dataclass(frozen=True)
class RenderedImage:
    """An image ready to send as an `image_url` content part, with its costs."""

    data_url: str
    image_format: ImageFormat
    width: int
    height: int
    budget: VisualBudget
    encoded_bytes: int
    render_seconds: float
    encode_seconds: float

    @property
    def soft_tokens(self) -> int:
        """Soft tokens the server spends on this image."""
        return soft_tokens(self.width, self.height)


def render_pdf_page(
    page: pymupdf.Page, budget: VisualBudget, options: EncodeOptions | None = None
) -> RenderedImage:
    """Rasterise a page at its budget's target size (displayed orientation, white background)."""
    started = time.perf_counter()
    rect = page.rect
    expected = target_size(rect.width, rect.height, budget)
    pixmap = _pixmap(page, render_matrix_for_page(rect.width, rect.height, budget))
    if (pixmap.width, pixmap.height) != expected:  # single-precision rounding at the edge
        slack = render_matrix_for_page(rect.width, rect.height, budget, RENDER_EDGE_SLACK_PX)
        pixmap = _pixmap(page, slack)
    if (pixmap.width, pixmap.height) != expected:
        raise InvalidChunkError(f"rendered {pixmap.width}x{pixmap.height}, expected {expected}")
    image = Image.frombytes("RGB", expected, pixmap.samples)
    return _encode(image, budget, time.perf_counter() - started, options or EncodeOptions())


def _pixmap(page: pymupdf.Page, zoom: tuple[float, float]) -> pymupdf.Pixmap:
    return page.get_pixmap(matrix=pymupdf.Matrix(*zoom), colorspace=pymupdf.csRGB, alpha=False)


def render_image(
    image: Image.Image,
    budget: VisualBudget,
    options: EncodeOptions | None = None,
    resample: Image.Resampling = Image.Resampling.LANCZOS,
) -> RenderedImage:
    """Resize an image once to its budget's target size (EXIF rotation applied, alpha on white)."""
    started = time.perf_counter()
    upright = ImageOps.exif_transpose(image)
    size = target_size(upright.width, upright.height, budget)
    resizable = _resizable(upright)
    resized = resizable if resizable.size == size else resizable.resize(size, resample)
    flat = _flatten(resized)
    return _encode(flat, budget, time.perf_counter() - started, options or EncodeOptions())


def data_url(encoded: bytes, image_format: ImageFormat) -> str:
    """A `data:image/...;base64,` URL for encoded image bytes."""
    return f"data:image/{image_format};base64,{base64.b64encode(encoded).decode('ascii')}"


def _resizable(image: Image.Image) -> Image.Image:
    """A mode Pillow resizes with a real filter (it falls back to nearest for "1" and "P")."""
    if image.mode == "1":
        return image.convert("L")
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        return image.convert("RGB")
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Drop alpha by compositing on white, as vLLM does; keep greyscale as greyscale."""
    if image.mode not in ("LA", "RGBA"):
        return image
    background = Image.new("RGB", image.size, _BACKGROUND)
    background.paste(image.convert("RGBA"), mask=image.getchannel("A"))
    return background.convert("L") if image.mode == "LA" else background


def _encode(
    image: Image.Image, budget: VisualBudget, render_seconds: float, options: EncodeOptions
) -> RenderedImage:
    started = time.perf_counter()
    buffer = io.BytesIO()
    if options.image_format == "jpeg":
        image.save(buffer, "JPEG", quality=options.jpeg_quality)
    else:
        image.save(buffer, "PNG", compress_level=options.png_compress_level)
    encoded = buffer.getvalue()
    url = data_url(encoded, options.image_format)
    return RenderedImage(
        data_url=url,
        image_format=options.image_format,
        width=image.width,
        height=image.height,
        budget=budget,
        encoded_bytes=len(encoded),
        render_seconds=render_seconds,
        encode_seconds=time.perf_counter() - started,
    )
