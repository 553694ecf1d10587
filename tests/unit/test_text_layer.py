"""Text-layer usability on PDFs generated here: native text, scans, invisible and garbage layers."""

from pathlib import Path

import pymupdf
import pytest

from pipeline.local.text_layer import (
    TextLayerThresholds,
    TextLayerVerdict,
    assess_text_layer,
    count_unmapped_fonts,
    is_garbage_code_point,
    union_area,
)

BODY = (
    "Quarterly report on greenhouse humidity. The sensors recorded stable readings "
    "through the night and a short peak after watering. "
) * 12
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _native_page(document: pymupdf.Document) -> pymupdf.Page:
    page = document.new_page(width=595, height=842)
    page.insert_textbox(pymupdf.Rect(50, 50, 545, 792), BODY, fontsize=11)
    return page


def _scan_png() -> bytes:
    """A rendered page: what a scanner would have produced."""
    source = pymupdf.open()
    _native_page(source)
    return bytes(source[0].get_pixmap(dpi=72, colorspace=pymupdf.csGRAY).tobytes("png"))


def _scanned_page(document: pymupdf.Document) -> pymupdf.Page:
    page = document.new_page(width=595, height=842)
    page.insert_image(page.rect, stream=_scan_png())
    return page


def _reopened(document: pymupdf.Document, index: int = 0) -> pymupdf.Page:
    return pymupdf.open("pdf", document.tobytes())[index]


def test_native_text_page_is_usable():
    document = pymupdf.open()
    _native_page(document)
    result = assess_text_layer(_reopened(document))
    assert result.verdict is TextLayerVerdict.TEXT
    assert not result.needs_ocr
    assert result.chars == len("".join(BODY.split()))
    assert result.visible_chars == result.chars
    assert result.garbage_chars == 0
    assert result.image_coverage == 0
    assert 0.2 < result.text_coverage < 0.9


def test_image_only_page_needs_ocr():
    document = pymupdf.open()
    _scanned_page(document)
    result = assess_text_layer(_reopened(document))
    assert result.verdict is TextLayerVerdict.OCR
    assert result.chars == 0
    assert result.image_coverage > 0.99


def test_scan_with_a_stamped_page_number_still_needs_ocr():
    document = pymupdf.open()
    page = _scanned_page(document)
    page.insert_text((280, 830), "Page 17 of 230, exhibit B-4, filed", fontsize=6)
    result = assess_text_layer(_reopened(document))
    assert result.chars >= 20
    assert result.verdict is TextLayerVerdict.OCR
    assert result.text_coverage < 0.05


def test_invisible_ocr_layer_over_a_scan_is_usable_when_trusted():
    document = pymupdf.open()
    page = _scanned_page(document)
    page.insert_textbox(pymupdf.Rect(50, 50, 545, 792), BODY, fontsize=11, render_mode=3)
    reopened = _reopened(document)
    trusted = assess_text_layer(reopened)
    assert trusted.verdict is TextLayerVerdict.TEXT
    assert trusted.invisible_chars == trusted.chars > 0
    assert trusted.visible_chars == 0
    distrusted = assess_text_layer(reopened, TextLayerThresholds(trust_invisible_text=False))
    assert distrusted.verdict is TextLayerVerdict.OCR


def _page_with_embedded_font(text: str, render_mode: int = 0) -> pymupdf.Document:
    document = pymupdf.open()
    page = _scanned_page(document)
    page.insert_textbox(
        pymupdf.Rect(50, 50, 545, 792),
        text,
        fontsize=11,
        fontname="dejavu",
        fontfile=str(DEJAVU),
        render_mode=render_mode,
    )
    return document


def _font_xref(document: pymupdf.Document) -> int:
    return int(next(font[0] for font in document[0].get_fonts() if font[4] == "dejavu"))


@pytest.mark.skipif(not DEJAVU.is_file(), reason="needs a TrueType font to embed")
def test_invisible_layer_mapped_to_private_use_glyphs_needs_ocr():
    document = _page_with_embedded_font(BODY, render_mode=3)
    xref = _font_xref(document)
    _, value = document.xref_get_key(xref, "ToUnicode")
    cmap_xref = int(value.split()[0])
    garbage_cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Garbage def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        b"1 beginbfrange <0000> <00FF> <E000> endbfrange\n"
        b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )
    document.update_stream(cmap_xref, garbage_cmap)
    result = assess_text_layer(_reopened(document))
    assert result.verdict is TextLayerVerdict.OCR
    assert result.garbage_ratio > 0.9
    assert "unmapped" in result.reason


@pytest.mark.skipif(not DEJAVU.is_file(), reason="needs a TrueType font to embed")
def test_font_without_unicode_map_is_counted_and_page_needs_ocr():
    document = _page_with_embedded_font(BODY)
    document.xref_set_key(_font_xref(document), "ToUnicode", "null")
    page = _reopened(document)
    assert count_unmapped_fonts(page) == 1
    result = assess_text_layer(page)
    assert result.unmapped_fonts == 1
    assert result.garbage_ratio > 0.5
    assert result.verdict is TextLayerVerdict.OCR


def test_blank_page_is_empty_and_drawn_page_needs_ocr():
    document = pymupdf.open()
    document.new_page()
    drawn = document.new_page()
    drawn.draw_rect(pymupdf.Rect(100, 100, 300, 140), color=(0, 0, 0), fill=(0, 0, 0))
    reopened = pymupdf.open("pdf", document.tobytes())
    blank = assess_text_layer(reopened[0])
    assert blank.verdict is TextLayerVerdict.EMPTY
    assert blank.has_drawings is False
    graphics = assess_text_layer(reopened[1])
    assert graphics.has_drawings is True
    assert graphics.verdict is TextLayerVerdict.OCR


def test_short_native_page_stays_text():
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "Appendix", fontsize=12)
    result = assess_text_layer(_reopened(document))
    assert result.chars == len("Appendix")
    assert result.verdict is TextLayerVerdict.TEXT


def test_union_area_counts_overlaps_once_and_clips():
    clip = pymupdf.Rect(0, 0, 100, 100)
    assert union_area([(0, 0, 10, 10), (5, 5, 15, 15)], clip) == pytest.approx(175)
    assert union_area([(0, 0, 10, 10), (0, 0, 10, 10)], clip) == pytest.approx(100)
    assert union_area([(90, 90, 120, 120)], clip) == pytest.approx(100)
    assert union_area([(-5, 0, 0, 10), (20, 20, 20, 30)], clip) == 0


@pytest.mark.parametrize(
    ("code", "garbage"),
    [
        (ord("a"), False),
        (ord("é"), False),
        (0x4E2D, False),
        (0xFFFD, True),
        (0xE001, True),
        (0x0003, True),
        (0x0085, True),
        (0x100001, True),
        (-1, True),
    ],
)
def test_garbage_code_points(code, garbage):
    assert is_garbage_code_point(code) is garbage


def _picture_png(width: int, height: int) -> bytes:
    """A grey picture with a dark bar: ink, but only `width` x `height` pixels of it."""
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, width, height), False)
    pixmap.set_rect(pixmap.irect, (200,))
    pixmap.set_rect(pymupdf.IRect(0, height // 3, width, 2 * height // 3), (20,))
    return bytes(pixmap.tobytes("png"))


@pytest.mark.parametrize(
    ("size", "verdict"),
    [
        ((16, 16), TextLayerVerdict.EMPTY),  # an icon blown up to the page: no letters to read
        ((31, 200), TextLayerVerdict.OCR),  # a tall strip can hold a word set vertically
        ((40, 7), TextLayerVerdict.EMPTY),  # shorter than one line of text
        ((32, 8), TextLayerVerdict.OCR),  # the smallest that can hold a short word
        ((400, 300), TextLayerVerdict.OCR),
    ],
)
def test_a_picture_too_small_to_hold_text_does_not_send_its_page_to_ocr(size, verdict):
    document = pymupdf.open()
    page = document.new_page(width=300, height=300)
    page.insert_image(page.rect, stream=_picture_png(*size), keep_proportion=False)
    result = assess_text_layer(_reopened(document))
    assert result.verdict is verdict
    assert len(result.image_boxes) == 1  # still a figure either way
    assert result.image_coverage == (0.0 if verdict is TextLayerVerdict.EMPTY else 1.0)
    if verdict is TextLayerVerdict.EMPTY:
        assert "too small to hold text" in result.reason


def test_a_small_picture_beside_a_few_words_leaves_the_text_layer_in_use():
    document = pymupdf.open()
    page = document.new_page(width=300, height=300)
    page.insert_image(pymupdf.Rect(0, 0, 300, 200), stream=_picture_png(12, 12))
    page.insert_text((20, 260), "Approved", fontsize=12)
    assert assess_text_layer(_reopened(document)).verdict is TextLayerVerdict.TEXT
    page.insert_image(pymupdf.Rect(0, 0, 300, 200), stream=_picture_png(120, 120))
    assert assess_text_layer(_reopened(document)).verdict is TextLayerVerdict.OCR
