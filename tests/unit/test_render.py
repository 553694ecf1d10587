"""Rendering pages and images at exactly their budget's target size."""

import base64
import io

import pymupdf
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageStat

from pipeline.model.render import EncodeOptions, data_url, render_image, render_pdf_page
from pipeline.planning.geometry import (
    RENDER_EDGE_SLACK_PX,
    is_native_size,
    render_matrix_for_page,
    target_size,
)
from schemas.budget import VISUAL_BUDGETS


def decode(url: str) -> tuple[str, bytes, Image.Image]:
    header, _, payload = url.partition(",")
    raw = base64.b64decode(payload, validate=True)
    return header, raw, Image.open(io.BytesIO(raw))


def make_page(width: float, height: float, rotation: int = 0) -> pymupdf.Page:
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    # Black left half of the unrotated page.
    page.draw_rect(pymupdf.Rect(0, 0, width / 2, height), color=(0, 0, 0), fill=(0, 0, 0))
    page.set_rotation(rotation)
    return page


def mean_luma(image: Image.Image, box: tuple[int, int, int, int]) -> float:
    mean: float = ImageStat.Stat(image.convert("L").crop(box)).mean[0]
    return mean


@pytest.mark.parametrize("budget", VISUAL_BUDGETS)
@pytest.mark.parametrize(
    ("width", "height", "rotation"),
    [(612, 792, 0), (612, 792, 90), (595.3, 841.9, 0), (1224, 792, 270), (200, 3000, 0)],
)
def test_pdf_page_renders_at_its_native_target_size(width, height, rotation, budget):
    page = make_page(width, height, rotation)
    rendered = render_pdf_page(page, budget)
    header, raw, image = decode(rendered.data_url)
    expected = target_size(page.rect.width, page.rect.height, budget)
    assert header == "data:image/jpeg;base64"
    assert image.format == "JPEG"
    assert image.size == expected == (rendered.width, rendered.height)
    assert is_native_size(*image.size, budget)
    assert rendered.encoded_bytes == len(raw)
    assert rendered.soft_tokens <= budget
    assert rendered.render_seconds >= 0
    assert rendered.encode_seconds >= 0


@settings(max_examples=60, deadline=None)
@given(
    width=st.floats(min_value=3, max_value=14_400),
    height=st.floats(min_value=3, max_value=14_400),
    rotation=st.sampled_from([0, 90, 180, 270]),
    budget=st.sampled_from(VISUAL_BUDGETS),
)
@example(width=3, height=12312.0703125, rotation=0, budget=1120)  # an exact zoom gave 53,761 rows
def test_the_zoom_matrix_gives_exactly_the_target_pixmap(width, height, rotation, budget):
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.set_rotation(rotation)
    target = target_size(page.rect.width, page.rect.height, budget)
    exact = render_matrix_for_page(page.rect.width, page.rect.height, budget)
    slack = render_matrix_for_page(page.rect.width, page.rect.height, budget, RENDER_EDGE_SLACK_PX)
    exact_pixmap = page.get_pixmap(matrix=pymupdf.Matrix(*exact), colorspace=pymupdf.csGRAY)
    slack_pixmap = page.get_pixmap(matrix=pymupdf.Matrix(*slack), colorspace=pymupdf.csGRAY)
    assert abs(exact_pixmap.width - target[0]) + abs(exact_pixmap.height - target[1]) <= 1
    assert (slack_pixmap.width, slack_pixmap.height) == target
    rendered = render_pdf_page(page, budget)
    assert (rendered.width, rendered.height) == target


def test_rendering_keeps_the_page_content_in_displayed_orientation():
    upright = decode(render_pdf_page(make_page(612, 792), 280).data_url)[2]
    w, h = upright.size
    assert mean_luma(upright, (0, 0, w // 2 - 4, h)) < 30
    assert mean_luma(upright, (w // 2 + 4, 0, w, h)) > 225
    # Rotated by 90 degrees clockwise, the black left half ends up on top.
    turned = decode(render_pdf_page(make_page(612, 792, rotation=90), 280).data_url)[2]
    w, h = turned.size
    assert w > h
    assert mean_luma(turned, (0, 0, w, h // 2 - 4)) < 30
    assert mean_luma(turned, (0, h // 2 + 4, w, h)) > 225


def test_pdf_page_is_rasterised_once_straight_at_the_target(monkeypatch):
    calls = []
    original = pymupdf.Page.get_pixmap

    def spy(self, *args, **kwargs):
        pixmap = original(self, *args, **kwargs)
        calls.append((kwargs["matrix"], pixmap.width, pixmap.height))
        return pixmap

    monkeypatch.setattr(pymupdf.Page, "get_pixmap", spy)
    page = make_page(612, 792)
    render_pdf_page(page, 1120)
    assert len(calls) == 1
    matrix, width, height = calls[0]
    assert (width, height) == target_size(612, 792, 1120)
    assert matrix.a * 612 == pytest.approx(width)
    assert matrix.d * 792 == pytest.approx(height)


def test_png_output_is_the_exact_pixmap():
    page = make_page(612, 792)
    rendered = render_pdf_page(page, 140, EncodeOptions(image_format="png"))
    header, _, image = decode(rendered.data_url)
    assert header == "data:image/png;base64"
    assert image.format == "PNG"
    width, height = image.size
    pixmap = page.get_pixmap(
        matrix=pymupdf.Matrix(width / 612, height / 792), colorspace=pymupdf.csRGB, alpha=False
    )
    assert image.convert("RGB").tobytes() == pixmap.samples


def test_lower_jpeg_quality_gives_fewer_bytes():
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_text((36, 72), "Quarterly report " * 6, fontsize=11)
    page.draw_circle((306, 400), 150, color=(0.2, 0.4, 0.8), fill=(0.9, 0.5, 0.1))
    small = render_pdf_page(page, 560, EncodeOptions(jpeg_quality=30))
    large = render_pdf_page(page, 560, EncodeOptions(jpeg_quality=95))
    assert small.encoded_bytes < large.encoded_bytes


@pytest.mark.parametrize("budget", VISUAL_BUDGETS)
@pytest.mark.parametrize("size", [(4000, 3000), (300, 200), (1, 1), (20, 9000)])
def test_image_is_resized_once_to_its_target(monkeypatch, size, budget):
    calls = []
    original = Image.Image.resize

    def spy(self, *args, **kwargs):
        calls.append(args[0] if args else kwargs["size"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", spy)
    rendered = render_image(Image.new("RGB", size, (10, 200, 30)), budget)
    image = decode(rendered.data_url)[2]
    assert image.size == target_size(size[0], size[1], budget)
    assert image.size == (rendered.width, rendered.height)
    assert calls == [image.size]
    pixel = image.getpixel((image.width // 2, image.height // 2))
    assert isinstance(pixel, tuple)
    assert pixel[1] > 150


def test_an_image_already_at_a_native_size_is_not_resampled():
    native = target_size(612, 792, 280)
    source = Image.effect_noise(native, 64).convert("RGB")
    rendered = render_image(source, 280, EncodeOptions(image_format="png"))
    assert decode(rendered.data_url)[2].convert("RGB").tobytes() == source.tobytes()


def test_transparency_is_flattened_on_white():
    source = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    source.paste((0, 0, 0, 255), (0, 0, 400, 600))
    image = decode(render_image(source, 280).data_url)[2]
    assert image.mode == "RGB"
    w, h = image.size
    assert mean_luma(image, (0, 0, w // 2 - 4, h)) < 30
    assert mean_luma(image, (w // 2 + 4, 0, w, h)) > 225


@pytest.mark.parametrize(("mode", "expected_mode"), [("1", "L"), ("L", "L"), ("P", "RGB")])
def test_bilevel_greyscale_and_palette_images_are_encoded(mode, expected_mode):
    source = Image.new("L", (1000, 700), 255)
    source.paste(0, (0, 0, 500, 700))
    rendered = render_image(source.convert(mode), 140)
    image = decode(rendered.data_url)[2]
    assert image.mode == expected_mode
    assert image.size == target_size(1000, 700, 140)
    assert mean_luma(image, (0, 0, image.width // 2 - 4, image.height)) < 40


def test_exif_orientation_is_applied_before_sizing():
    raw = Image.new("RGB", (1200, 600), (255, 255, 255))
    exif = raw.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    buffer = io.BytesIO()
    raw.save(buffer, "JPEG", exif=exif.tobytes())
    rendered = render_image(Image.open(io.BytesIO(buffer.getvalue())), 280)
    assert (rendered.width, rendered.height) == target_size(600, 1200, 280)
    assert rendered.height > rendered.width


def test_data_url_round_trips():
    assert data_url(b"\x89PNG", "png") == "data:image/png;base64,iVBORw=="


@pytest.mark.parametrize(
    "kwargs", [{"jpeg_quality": 0}, {"jpeg_quality": 96}, {"png_compress_level": 10}]
)
def test_encode_options_are_validated(kwargs):
    with pytest.raises(ValueError, match="must be in"):
        EncodeOptions(**kwargs)
