"""Where a picture has ink, and OCR detecting only there: exact boxes on drawn pictures, and
the same lines read from a sparse page as from the whole of it."""

from unittest.mock import patch

import pymupdf
import pytest
from PIL import Image, ImageDraw

from pipeline.local.ink import InkSettings, ink_box
from pipeline.local.ocr import OcrSettings, ocr_image, render_pdf_page_for_ocr
from pipeline.local.ocr_engine import OcrEngine, detector_limit

LETTER = (1275, 1650)


def _picture(
    size: tuple[int, int] = LETTER,
    background: str | tuple[int, int, int] = "white",
    marks: tuple[tuple[tuple[int, int, int, int], str | tuple[int, int, int]], ...] = (),
) -> Image.Image:
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for box, colour in marks:
        draw.rectangle(box, fill=colour)  # inclusive corners
    return image


def test_a_blank_picture_has_no_ink_whatever_its_colour():
    assert ink_box(_picture()) is None
    assert ink_box(_picture(background="black")) is None
    assert ink_box(_picture(background=(250, 240, 200))) is None


def test_the_box_is_the_ink_padded_by_the_margin():
    image = _picture(marks=(((100, 200, 149, 219), "black"),))
    assert ink_box(image) == (68, 168, 196, 264)  # (68, 168, 182, 252) grown to 32 px steps
    assert ink_box(image, InkSettings(margin=0, align=1)) == (100, 200, 150, 220)


def test_the_box_stops_at_the_picture_edges():
    image = _picture(marks=(((0, 0, 9, 9), "black"), ((1270, 1640, 1274, 1649), "black")))
    assert ink_box(image, InkSettings(worth_cutting=1.0)) == (0, 0, 1275, 1650)


def test_ink_is_what_stands_out_from_the_background():
    light_grey = _picture(marks=(((500, 500, 599, 519), (170, 170, 170)),))
    assert ink_box(light_grey) == (468, 468, 660, 564)
    paper_texture = _picture(marks=(((500, 500, 599, 519), (230, 230, 230)),))
    assert ink_box(paper_texture) is None
    slide = _picture(background="black", marks=(((300, 40, 399, 79), "white"),))
    assert ink_box(slide) == (268, 8, 460, 136)
    yellow_form = _picture(background=(250, 240, 200), marks=(((10, 10, 19, 19), "navy"),))
    assert ink_box(yellow_form) == (0, 0, 64, 64)


def test_a_wide_line_is_given_height_around_its_middle():
    line = _picture(marks=(((40, 800, 1234, 809), "black"),))
    # padded: (8, 768, 1267, 842), 1259 px wide: at least 158 px high, centred on 805
    assert ink_box(line, InkSettings(align=1)) == (8, 726, 1267, 884)
    assert ink_box(line) == (0, 726, 1275, 886)
    top_line = _picture(marks=(((40, 0, 1234, 4), "black"),))
    assert ink_box(top_line) == (0, 0, 1275, 160)


def test_ink_over_most_of_the_picture_is_not_cut():
    lines = tuple(((40, top, 1234, top + 9), "black") for top in range(40, 1600, 20))
    assert ink_box(_picture(marks=lines)) == (0, 0, *LETTER)
    margins = _picture(marks=(((240, 240, 1034, 1409), "black"),))
    assert ink_box(margins) == (208, 208, 1072, 1456)
    assert ink_box(margins, InkSettings(worth_cutting=0.5)) == (0, 0, *LETTER)


def test_a_cut_out_is_detected_at_the_scale_of_its_picture():
    assert detector_limit(LETTER, LETTER) == ("min", 736)  # RapidOCR's own rule
    assert detector_limit((400, 200), LETTER) == ("max", 400)  # kept at its size
    assert detector_limit((150, 90), (368, 500)) == ("min", 180)  # enlarged 2x, as the whole
    assert detector_limit((300, 200), (300, 200)) == ("min", 736)


def _sparse_page() -> pymupdf.Page:
    document = pymupdf.open()
    page = document.new_page(width=612, height=792)
    page.insert_text((400, 700), "Approved for payment", fontsize=12)
    page.insert_text((72, 90), "Invoice 2026-0417", fontsize=18)
    return page


@pytest.mark.models
def test_a_sparse_page_reads_the_same_lines_from_its_ink_box(ocr_engine: OcrEngine):
    image = render_pdf_page_for_ocr(_sparse_page()).image
    assert ink_box(image) != (0, 0, *image.size)
    cut = ocr_image(ocr_engine, image, OcrSettings())
    with patch("pipeline.local.ocr.ink_box", lambda picture: (0, 0, *picture.size)):
        whole = ocr_image(ocr_engine, image, OcrSettings())

    assert [line.text for line in cut] == [line.text for line in whole]
    assert [line.text for line in cut] == ["Invoice 2026-0417", "Approved for payment"]
    for ours, theirs in zip(cut, whole, strict=True):
        # the whole page reaches the detector stretched to 1280 x 1664 (multiples of 32), the
        # aligned cut-out unstretched: the same line's box moves by a few pixels
        assert ours.bbox == pytest.approx(theirs.bbox, abs=5)
    zoom = image.width / 612
    assert cut[1].bbox[0] == pytest.approx(400 * zoom, abs=6)


@pytest.mark.models
def test_a_blank_page_is_not_sent_to_the_detector(ocr_engine: OcrEngine):
    with patch.object(ocr_engine, "run", side_effect=AssertionError("detector called")):
        assert ocr_image(ocr_engine, _picture()) == []
