"""Opening document images safely: sniffed formats only, size checked before decoding.

The header is parsed (Pillow opens lazily) and `width * height` is checked against a limit
before any pixel is decoded, so a decompression bomb costs a few hundred bytes of reading.
Pillow's own hard limit (`Image.MAX_IMAGE_PIXELS * 2`) stays in force as a backstop and is
reported as `too_large` too.
"""

import io
import os
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import ImageError
from pipeline.sources.sniff import SNIFF_BYTES, sniff_bytes
from schemas.enums import ErrorCategory, MediaType
from schemas.media import IMAGE_MEDIA

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "SUPPORTED_IMAGE_TYPES",
    "ImageSource",
    "count_frames",
    "frame_sizes",
    "open_image",
    "pillow_errors",
    "to_rgb",
]

ImageSource = bytes | str | os.PathLike[str]

DEFAULT_MAX_PIXELS = 80_000_000
"""About 8,900 x 8,900 px: an A3 page at 600 dpi fits, a crafted 30,000 x 30,000 header does not."""

SUPPORTED_IMAGE_TYPES = IMAGE_MEDIA
_PILLOW_FORMATS = {
    MediaType.PNG: "PNG",
    MediaType.JPEG: "JPEG",
    MediaType.TIFF: "TIFF",
    MediaType.WEBP: "WEBP",
    MediaType.BMP: "BMP",
    MediaType.GIF: "GIF",
}
_BRIGHT_TEXT_LEVEL = 128
_FULL_RANGE_16_BIT = 65535


def count_frames(
    source: ImageSource,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    media_types: frozenset[MediaType] = SUPPORTED_IMAGE_TYPES,
) -> int:
    """Number of pages of a multi-page TIFF (1 for every other format), headers only."""
    with _opened(source, max_pixels, media_types) as image:
        if image.format != "TIFF":
            return 1
        with pillow_errors(ErrorCategory.CORRUPT_FILE, "unreadable TIFF pages"):
            return int(getattr(image, "n_frames", 1))


def frame_sizes(
    source: ImageSource,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    media_types: frozenset[MediaType] = SUPPORTED_IMAGE_TYPES,
) -> list[tuple[int, int]]:
    """(width, height) of every frame, read from the headers (nothing is decoded)."""
    with _opened(source, max_pixels, media_types) as image:
        with pillow_errors(ErrorCategory.CORRUPT_FILE, "unreadable TIFF pages"):
            frames = int(getattr(image, "n_frames", 1)) if image.format == "TIFF" else 1
        sizes = []
        for frame in range(frames):
            if frame:
                _seek(image, frame)
                _check_size(image.size, max_pixels)
            sizes.append((int(image.size[0]), int(image.size[1])))
        return sizes


def open_image(
    source: ImageSource,
    *,
    frame: int = 0,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    media_types: frozenset[MediaType] = SUPPORTED_IMAGE_TYPES,
) -> Image.Image:
    """Decode one frame as an upright 8-bit RGB image (EXIF orientation applied)."""
    with _opened(source, max_pixels, media_types) as image:
        if frame:
            _seek(image, frame)
            _check_size(image.size, max_pixels)
        with pillow_errors(ErrorCategory.CORRUPT_FILE, "the image data cannot be decoded"):
            image.load()
            return to_rgb(ImageOps.exif_transpose(image))


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit RGB; transparency is flattened onto a background
    that contrasts with the visible content (white text on a transparent page stays legible)."""
    if image.mode.startswith("I") or image.mode == "F":
        image = _to_8_bit_gray(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return _flatten_alpha(image.convert("RGBA"))
    return image if image.mode == "RGB" else image.convert("RGB")


@contextmanager
def pillow_errors(category: ErrorCategory, what: str) -> Iterator[None]:
    """Pillow's boundary: what it raises on damaged or hostile images becomes an ImageError.

    Pillow raises far more than `UnidentifiedImageError`: `OSError` for truncated data,
    `SyntaxError` and `TypeError` from broken TIFF tags, `EOFError`, `ValueError`, and its
    own `DecompressionBombError` past its hard limit (reported as `too_large`)."""
    try:
        yield
    except Image.DecompressionBombError as exc:
        raise ImageError(ErrorCategory.TOO_LARGE, str(exc)) from exc
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        TypeError,
        IndexError,
        KeyError,
        struct.error,
        ZeroDivisionError,
        MemoryError,
    ) as exc:
        raise ImageError(category, f"{what}: {exc}") from exc


@contextmanager
def _opened(
    source: ImageSource, max_pixels: int, media_types: frozenset[MediaType]
) -> Iterator[Image.Image]:
    target: io.BytesIO | Path
    if isinstance(source, bytes):
        target, head = io.BytesIO(source), source[:SNIFF_BYTES]
    else:
        target = Path(source)
        head = _read_head(target)
    media_type = sniff_bytes(head)
    if media_type not in media_types or media_type not in _PILLOW_FORMATS:
        raise ImageError(
            ErrorCategory.UNSUPPORTED_MEDIA,
            f"not a supported image format (detected {media_type.value})",
        )
    what = f"a {media_type.value} whose header is invalid"
    with pillow_errors(ErrorCategory.CORRUPT_FILE, what), warnings.catch_warnings():
        # Our own limit is checked just below; Pillow's warning threshold is not ours.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(target, formats=[_PILLOW_FORMATS[media_type]])
    with image:
        _check_size(image.size, max_pixels)
        yield image


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ImageError(ErrorCategory.CORRUPT_FILE, f"the file cannot be read: {exc}") from exc


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageError(ErrorCategory.CORRUPT_FILE, f"the image has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise ImageError(
            ErrorCategory.TOO_LARGE,
            f"{width}x{height} = {width * height:,} pixels exceeds the limit of {max_pixels:,}",
        )


def _seek(image: Image.Image, frame: int) -> None:
    frames = int(getattr(image, "n_frames", 1))
    if not 0 <= frame < frames:
        raise ImageError(
            ErrorCategory.CORRUPT_FILE, f"frame {frame} requested but the image has {frames}"
        )
    with pillow_errors(ErrorCategory.CORRUPT_FILE, f"frame {frame} cannot be read"):
        image.seek(frame)


def _to_8_bit_gray(image: Image.Image) -> Image.Image:
    """16/32-bit integer or float grayscale to 8 bits (Pillow's convert() would clip)."""
    values = np.asarray(image, dtype=np.float64)
    top = _FULL_RANGE_16_BIT if image.mode.startswith("I;16") else max(float(values.max()), 1.0)
    scaled = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
    return Image.fromarray(scaled, mode="L")


def _flatten_alpha(rgba: Image.Image) -> Image.Image:
    pixels = np.asarray(rgba)
    opaque = pixels[:, :, 3] > 0
    bright_content = (
        bool(opaque.any()) and float(pixels[:, :, :3][opaque].mean()) >= _BRIGHT_TEXT_LEVEL
    )
    background = Image.new("RGBA", rgba.size, (0, 0, 0, 255) if bright_content else "white")
    return Image.alpha_composite(background, rgba).convert("RGB")
