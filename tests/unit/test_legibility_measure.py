"""The pixel text measure: blank pictures, dark slides and its scale back to source pixels."""

import numpy as np
import pymupdf
import pytest
from PIL import Image

from pipeline.sources.legibility import measure_gray, measure_image

TEXT = "Harvest planning for the glasshouse, row by row and week by week."


def _slide(font_pt: float, dark: bool, zoom: float = 2.0) -> Image.Image:
    document = pymupdf.open()
    page = document.new_page(width=720, height=405)
    page.draw_rect(page.rect, color=None, fill=(0, 0, 0) if dark else (1, 1, 1))
    for row in range(4):
        page.insert_text(
            (30, 80 + row * font_pt * 1.5),
            TEXT,
            fontsize=font_pt,
            color=(1, 1, 1) if dark else (0, 0, 0),
        )
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY)
    return Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)


def test_a_flat_picture_has_no_text():
    assert measure_gray(np.full((300, 400), 250, dtype=np.uint8)).min_text_height is None
    assert measure_gray(np.full((300, 400), 250, dtype=np.uint8)).text_area_share == 0.0


def test_a_dark_slide_measures_like_a_light_one():
    light = measure_image(_slide(20, dark=False))
    dark = measure_image(_slide(20, dark=True))
    assert light.min_text_height is not None
    assert dark.min_text_height is not None
    assert dark.min_text_height == pytest.approx(light.min_text_height, rel=0.1)


def test_heights_are_in_the_source_pixels_whatever_its_size():
    # Helvetica's x-height is about half an em: 20 pt at 2 and 4 px per pt.
    small = measure_image(_slide(20, dark=False, zoom=2.0)).min_text_height
    large = measure_image(_slide(20, dark=False, zoom=4.0)).min_text_height
    assert small is not None
    assert large is not None
    assert 18 <= small <= 24
    assert large == pytest.approx(2 * small, rel=0.1)


def test_a_picture_must_be_two_dimensional():
    with pytest.raises(ValueError, match="2-D"):
        measure_gray(np.zeros((3, 4, 3), dtype=np.uint8))
