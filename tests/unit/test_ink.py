"""Where a picture has ink, and OCR detecting only there: exact boxes on drawn pictures, and
the same lines read from a sparse page as from the whole of it."""

from typing import Any
from unittest.mock import patch

import pymupdf
import pytest
from PIL import Image, ImageDraw

from pipeline.local.ink import InkSettings, ink_boxes
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
    assert ink_boxes(_picture()) == []
    assert ink_boxes(_picture(background="black")) == []
    assert ink_boxes(_picture(background=(250, 240, 200))) == []


def test_the_box_is_the_ink_padded_by_the_margin():
    image = _picture(marks=(((100, 200, 149, 219), "black"),))
    assert ink_boxes(image) == [(68, 168, 196, 264)]  # (68, 168, 182, 252) grown to 32 px steps
    assert ink_boxes(image, InkSettings(margin=0, align=1)) == [(100, 200, 150, 220)]


def test_specks_in_opposite_corners_are_two_small_boxes_within_the_picture():
    image = _picture(marks=(((0, 0, 9, 9), "black"), ((1270, 1640, 1274, 1649), "black")))
    assert ink_boxes(image) == [(0, 0, 64, 64), (1211, 1586, 1275, 1650)]


def test_a_scanners_dark_edge_does_not_stretch_the_texts_box():
    scan = _picture(marks=(((0, 0, 5, 1649), "black"), ((150, 100, 300, 130), "black")))
    assert ink_boxes(scan) == [(0, 0, 64, 1650), (118, 68, 342, 164)]


def test_ink_closer_than_the_join_distance_is_one_box():
    near = _picture(marks=(((100, 100, 149, 119), "black"), ((190, 100, 239, 119), "black")))
    assert ink_boxes(near) == [(68, 68, 292, 164)]
    far = _picture(marks=(((100, 100, 149, 119), "black"), ((250, 100, 299, 119), "black")))
    assert ink_boxes(far) == [(68, 68, 196, 164), (218, 68, 346, 164)]


def test_too_many_groups_are_one_box_around_them_all():
    specks = tuple(
        ((100 + 100 * i, top, 102 + 100 * i, top + 2), "black")
        for i in range(10)
        for top in (100, 300)
    )
    assert ink_boxes(_picture(marks=specks)) == [(68, 68, 1060, 356)]
    assert len(ink_boxes(_picture(marks=specks), InkSettings(max_boxes=20))) == 20


def test_ink_is_what_stands_out_from_the_background():
    light_grey = _picture(marks=(((500, 500, 599, 519), (170, 170, 170)),))
    assert ink_boxes(light_grey) == [(468, 468, 660, 564)]
    paper_texture = _picture(marks=(((500, 500, 599, 519), (230, 230, 230)),))
    assert ink_boxes(paper_texture) == []
    slide = _picture(background="black", marks=(((300, 40, 399, 79), "white"),))
    assert ink_boxes(slide) == [(268, 8, 460, 136)]
    yellow_form = _picture(background=(250, 240, 200), marks=(((10, 10, 19, 19), "navy"),))
    assert ink_boxes(yellow_form) == [(0, 0, 64, 64)]


def test_a_wide_line_is_given_height_around_its_middle():
    line = _picture(marks=(((40, 800, 1234, 809), "black"),))
    # padded: (8, 768, 1267, 842), 1259 px wide: at least 158 px high, centred on 805
    assert ink_boxes(line, InkSettings(align=1)) == [(8, 726, 1267, 884)]
    assert ink_boxes(line) == [(0, 726, 1275, 886)]
    top_line = _picture(marks=(((40, 0, 1234, 4), "black"),))
    assert ink_boxes(top_line) == [(0, 0, 1275, 160)]


def test_ink_over_most_of_the_picture_is_not_cut():
    lines = tuple(((40, top, 1234, top + 9), "black") for top in range(40, 1600, 20))
    assert ink_boxes(_picture(marks=lines)) == [(0, 0, *LETTER)]
    margins = _picture(marks=(((240, 240, 1034, 1409), "black"),))
    assert ink_boxes(margins) == [(208, 208, 1072, 1456)]
    assert ink_boxes(margins, InkSettings(worth_cutting=0.5)) == [(0, 0, *LETTER)]


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
def test_a_sparse_page_reads_the_same_lines_from_its_ink_boxes(ocr_engine: OcrEngine):
    page = _sparse_page()
    image = render_pdf_page_for_ocr(page).image
    assert len(ink_boxes(image)) == 2
    cut = ocr_image(ocr_engine, image, OcrSettings())
    with patch("pipeline.local.ocr.ink_boxes", lambda picture: [(0, 0, *picture.size)]):
        whole = ocr_image(ocr_engine, image, OcrSettings())

    texts = ["Invoice 2026-0417", "Approved for payment"]
    assert [line.text for line in cut] == [line.text for line in whole] == texts
    zoom = image.width / page.rect.width
    for text, ours, theirs in zip(texts, cut, whole, strict=True):
        printed = tuple(value * zoom for value in page.search_for(text)[0])
        # detector boxes hug the glyphs (the font box is taller); the whole page reaches the
        # detector stretched to multiples of 32 (1280 x 1664), the aligned cut-outs do not
        assert ours.bbox == pytest.approx(printed, abs=10)
        assert theirs.bbox == pytest.approx(printed, abs=10)


@pytest.mark.models
def test_a_blank_page_is_not_sent_to_the_detector(ocr_engine: OcrEngine):
    with patch.object(ocr_engine, "run", side_effect=AssertionError("detector called")):
        assert ocr_image(ocr_engine, _picture()) == []


@pytest.mark.models
def test_the_detector_receives_a_cut_out_at_its_pictures_scale(ocr_engine: OcrEngine):
    """The size RapidOCR's detector model is fed, spied on at the model's session."""
    shapes: list[tuple[int, ...]] = []
    detector = ocr_engine._loaded()._load_det_model()
    session = detector.session

    class Spy:
        def __call__(self, tensor: Any) -> Any:
            shapes.append(tuple(tensor.shape))
            return session(tensor)

        def __getattr__(self, name: str) -> Any:
            return getattr(session, name)

    detector.session = Spy()
    try:
        for size, whole in [(LETTER, LETTER), ((384, 192), LETTER), ((160, 96), (368, 500))]:
            picture = Image.new("RGB", size, "white")
            ocr_engine.run(picture, detect=True, min_score=0.5, cut_from=whole)
    finally:
        detector.session = session
    # (height, width): the page as RapidOCR sizes it, a cut-out of it unscaled, a cut-out of
    # a small picture enlarged twice, as its picture is (short side 368 to 736)
    assert [shape[2:] for shape in shapes] == [(1664, 1280), (192, 384), (192, 320)]
