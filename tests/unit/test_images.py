"""Opening document images: formats, frames, EXIF orientation, bombs and broken files."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from pipeline.errors import ImageError
from pipeline.sources.images import count_frames, open_image, to_rgb
from schemas.enums import ErrorCategory


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG signature, an IHDR chunk declaring the size and IEND: no pixel data at all."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + chunk + end


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def _two_tone(size: tuple[int, int] = (40, 20)) -> Image.Image:
    """Left half red, right half blue."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return image


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("PNG", {}),
        ("JPEG", {"quality": 95}),
        ("TIFF", {}),
        ("WEBP", {"lossless": True}),
        ("BMP", {}),
    ],
)
def test_supported_formats_decode_to_rgb(fmt, options):
    data = _encoded(_two_tone(), fmt, **options)
    image = open_image(data)
    assert image.mode == "RGB"
    assert image.size == (40, 20)
    red, _, blue = _pixel(image, (5, 10))
    assert red > 200 and blue < 60
    assert count_frames(data) == 1


def test_path_source(tmp_path):
    path = tmp_path / "page.png"
    _two_tone().save(path)
    assert open_image(path).size == (40, 20)
    assert open_image(str(path)).size == (40, 20)


def test_multi_page_tiff_counts_and_loads_each_frame():
    frames = [Image.new("L", (30, 10 + i), 40 * (i + 1)) for i in range(3)]
    data = _encoded(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    assert count_frames(data) == 3
    for index in range(3):
        image = open_image(data, frame=index)
        assert image.size == (30, 10 + index)
        assert _pixel(image, (0, 0)) == (40 * (index + 1),) * 3
    with pytest.raises(ImageError) as error:
        open_image(data, frame=3)
    assert error.value.category == ErrorCategory.CORRUPT_FILE


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored image must be turned 90 degrees clockwise for display
    data = _encoded(_two_tone((40, 20)), "JPEG", exif=exif.tobytes(), quality=95)
    image = open_image(data)
    assert image.size == (20, 40)
    top_red = _pixel(image, (10, 5))[0]
    bottom_red = _pixel(image, (10, 35))[0]
    assert top_red > 200 > 60 > bottom_red


def test_header_claiming_30000_squared_pixels_is_rejected_before_decoding():
    with pytest.raises(ImageError) as error:
        open_image(_png_header_only(30_000, 30_000))
    assert error.value.category == ErrorCategory.TOO_LARGE
    with pytest.raises(ImageError):
        count_frames(_png_header_only(30_000, 30_000))


def test_own_pixel_limit_applies_below_pillows_threshold():
    with pytest.raises(ImageError) as error:
        open_image(_png_header_only(9_000, 10_000))  # 90 Mpx: Pillow would only warn
    assert error.value.category == ErrorCategory.TOO_LARGE
    small = _encoded(_two_tone((100, 100)), "PNG")
    with pytest.raises(ImageError) as limited:
        open_image(small, max_pixels=5_000)
    assert limited.value.category == ErrorCategory.TOO_LARGE
    assert open_image(small, max_pixels=10_000).size == (100, 100)


def test_zero_by_zero_image_is_rejected():
    with pytest.raises(ImageError) as error:
        open_image(_png_header_only(0, 0))
    assert error.value.category == ErrorCategory.CORRUPT_FILE


def test_truncated_image_is_corrupt():
    data = _encoded(Image.effect_noise((200, 200), 50).convert("RGB"), "PNG")
    with pytest.raises(ImageError) as error:
        open_image(data[: len(data) // 2])
    assert error.value.category == ErrorCategory.CORRUPT_FILE


@pytest.mark.parametrize(
    "data",
    [b"just some text, not an image", b"%PDF-1.7\n", _encoded(_two_tone(), "GIF")],
)
def test_other_content_is_unsupported(data):
    with pytest.raises(ImageError) as error:
        open_image(data)
    assert error.value.category == ErrorCategory.UNSUPPORTED_MEDIA
    assert "unsupported_media" in str(error.value)


def test_sixteen_bit_grayscale_is_scaled_not_clipped():
    values = np.full((10, 10), 30_000, dtype=np.uint16)
    data = _encoded(Image.fromarray(values), "PNG")
    gray = _pixel(open_image(data), (0, 0))[0]
    assert 110 <= gray <= 125  # 30000 / 65535 * 255 = 116.7


def test_white_text_on_transparency_stays_legible():
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    rgba.paste((255, 255, 255, 255), (5, 2, 15, 8))
    image = to_rgb(rgba)
    assert _pixel(image, (10, 5)) == (255, 255, 255)
    assert _pixel(image, (0, 0)) == (0, 0, 0)
    dark = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    dark.paste((0, 0, 0, 255), (5, 2, 15, 8))
    flattened = to_rgb(dark)
    assert _pixel(flattened, (0, 0)) == (255, 255, 255)
    assert _pixel(flattened, (10, 5)) == (0, 0, 0)
