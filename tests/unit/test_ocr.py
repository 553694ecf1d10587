"""Embedded OCR on pages and scans rendered here: recognition, rotation, columns, boxes."""

import random
import re
import socket
from collections import Counter

import numpy as np
import pymupdf
import pytest
from PIL import Image, ImageFilter

from pipeline.local.ocr import (
    DETECTOR_MIN_SIDE,
    OcrPage,
    OcrSettings,
    build_page_content,
    detect_rotation,
    image_page_content,
    ocr_image,
    ocr_zoom,
    pdf_page_content,
    recognise_upright,
    to_source_point,
)
from pipeline.local.ocr_engine import OcrEngine, bundled_model_paths
from pipeline.local.ocr_layout import OcrLine, layout_blocks
from schemas.extractions import PageSize

TEXT = (
    "The quick brown fox jumps over the lazy dog near the river bank. "
    "Seven wizards quietly judge boxing matches in Oxford every Monday. "
    "Fourteen pale zebras graze beside the old stone bridge at dawn."
)
LEFT_COLUMN = (
    "apples pears plums cherries grapes lemons melons apples pears plums cherries "
    "grapes lemons melons apples pears plums cherries grapes lemons"
)
RIGHT_COLUMN = (
    "hammer chisel wrench pliers spanner drill saw hammer chisel wrench pliers "
    "spanner drill saw hammer chisel wrench pliers spanner drill"
)
SETTINGS = OcrSettings()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _recall(expected: str, recognised: str) -> float:
    available = Counter(_words(recognised))
    found = 0
    for word in _words(expected):
        if available[word] > 0:
            available[word] -= 1
            found += 1
    return found / len(_words(expected))


def _text_page() -> pymupdf.Document:
    document = pymupdf.open()
    page = document.new_page(width=360, height=200)
    page.insert_textbox(pymupdf.Rect(20, 20, 340, 190), TEXT, fontsize=13)
    return document


@pytest.fixture(scope="module")
def scan() -> Image.Image:
    """The text page rasterised at 200 dpi, slightly skewed, blurred and noisy."""
    pixmap = _text_page()[0].get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
    image = image.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=True)
    noise = np.random.default_rng(7).normal(0, 25, (image.height, image.width))
    noisy = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(noisy).filter(ImageFilter.GaussianBlur(0.6)).convert("RGB")


@pytest.mark.models
def test_bundled_models_load_without_network(monkeypatch):
    for path in bundled_model_paths().values():
        assert path.is_file()
        assert path.stat().st_size > 100_000

    def refuse(*args, **kwargs):
        raise AssertionError("OCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    engine = OcrEngine(threads=1)
    blank = Image.new("RGB", (200, 60), "white")
    result = engine.run(blank, detect=True, min_score=0.5)
    assert getattr(result, "txts", None) is None


@pytest.mark.models
def test_noisy_skewed_scan_is_read(scan, ocr_engine):
    lines = ocr_image(ocr_engine, scan, SETTINGS)
    assert _recall(TEXT, " ".join(line.text for line in lines)) >= 0.9
    for line in lines:
        assert 0.5 <= line.confidence <= 1.0
        x0, y0, x1, y1 = line.bbox
        assert 0 <= x0 < x1 <= scan.width + 2
        assert 0 <= y0 < y1 <= scan.height + 2


@pytest.mark.models
def test_large_images_are_shrunk_and_boxes_scaled_back(scan, ocr_engine):
    large = scan.resize((scan.width * 2, scan.height * 2))
    lines = ocr_image(ocr_engine, large, OcrSettings(max_side=scan.width))
    assert _recall(TEXT, " ".join(line.text for line in lines)) >= 0.9
    assert max(line.bbox[2] for line in lines) > 0.8 * large.width


@pytest.mark.parametrize("turn_ccw", [90, 180, 270])
@pytest.mark.models
def test_turned_scan_is_detected_corrected_and_mapped_back(scan, turn_ccw, ocr_engine):
    turned = scan.rotate(turn_ccw, expand=True)
    page = recognise_upright(ocr_engine, turned, SETTINGS)
    assert page.rotation == (360 - turn_ccw) % 360
    assert (page.width, page.height) == scan.size
    size = PageSize(width=turned.width, height=turned.height, unit="px")
    content = build_page_content(page, size, page_number=1)
    assert _recall(TEXT, content.data.text) >= 0.9
    assert content.data.page.unit == content.provenance.unit == "px"
    assert (content.data.page.width, content.data.page.height) == turned.size
    boxes = [block.bbox for block in content.data.blocks]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    assert 0 <= x0 < x1 <= turned.width + 2
    assert 0 <= y0 < y1 <= turned.height + 2
    text_is_wide = (x1 - x0) > (y1 - y0)
    assert text_is_wide == (turn_ccw == 180)


@pytest.mark.models
def test_two_column_pdf_page_is_read_column_by_column(ocr_engine):
    document = pymupdf.open()
    page = document.new_page(width=420, height=300)
    page.insert_text((60, 40), "Inventory of the garden shed", fontsize=16)
    page.insert_textbox(pymupdf.Rect(30, 60, 200, 290), LEFT_COLUMN, fontsize=11)
    page.insert_textbox(pymupdf.Rect(225, 60, 395, 290), RIGHT_COLUMN, fontsize=11)
    content = pdf_page_content(ocr_engine, page, SETTINGS)
    assert content.data.engine == "rapidocr"
    assert content.data.page.unit == content.provenance.unit == "pt"
    assert (content.data.page.width, content.data.page.height) == (420, 300)
    words = _words(content.data.text)
    fruit = [i for i, w in enumerate(words) if w in _words(LEFT_COLUMN)]
    tools = [i for i, w in enumerate(words) if w in _words(RIGHT_COLUMN)]
    assert len(fruit) >= 0.9 * len(_words(LEFT_COLUMN))
    assert len(tools) >= 0.9 * len(_words(RIGHT_COLUMN))
    assert max(fruit) < min(tools), "columns were interleaved"
    assert words.index("inventory") < min(fruit)
    first_block = content.data.blocks[0]
    assert first_block.text.lower().startswith("inventory")
    title = page.search_for("Inventory of the garden shed")[0]
    assert first_block.bbox == pytest.approx((title.x0, title.y0, title.x1, title.y1), abs=6)
    for block in content.data.blocks:
        assert block.confidence is not None and block.confidence > 0.5
        assert 0 <= block.bbox[0] < block.bbox[2] <= 420
        assert 0 <= block.bbox[1] < block.bbox[3] <= 300


@pytest.mark.models
def test_blank_image_gives_empty_content(ocr_engine):
    content = image_page_content(ocr_engine, Image.new("RGB", (300, 200), "white"), page_number=3)
    assert content.data.text == ""
    assert content.data.blocks == []
    assert content.provenance.page_number == 3


# --- pure geometry and layout: no model involved ---------------------------------------------


def _line(text: str, x0: float, y0: float, x1: float, y1: float, skew: float = 0.0) -> OcrLine:
    """A line box; `skew` raises the right end by that many pixels."""
    return OcrLine(text, ((x0, y0), (x1, y0 - skew), (x1, y1 - skew), (x0, y1)), 0.9)


class _NoEngine(OcrEngine):
    """An OCR engine that must not be asked: rotation decided from the lines alone."""

    def run(self, *args, **kwargs):
        raise AssertionError("the engine was asked to re-read lines")


def _boxed_line(text: str, width: float, height: float, confidence: float = 0.99) -> OcrLine:
    return OcrLine(
        text, ((10, 10), (10 + width, 10), (10 + width, 10 + height), (10, 10 + height)), confidence
    )


@pytest.mark.parametrize(
    ("lines", "rotation"),
    [
        ([_boxed_line("_", 12, 60, 0.58)], 0),  # a rule read as one glyph: no evidence, no re-read
        (
            [_boxed_line("1", 8, 30), _boxed_line("|", 4, 40), _boxed_line("1.", 8, 30)],
            0,
        ),  # lone glyphs
        ([_boxed_line("Invoice", 30, 200)], 90),  # a word set vertically
        ([_boxed_line("l", 8, 30), _boxed_line("Total due", 200, 30)], 0),  # the word decides
        ([_boxed_line("Total", 30, 150), _boxed_line("1", 8, 30), _boxed_line("x", 30, 8)], 90),
    ],
)
def test_rotation_is_decided_by_lines_with_two_letters_or_digits(lines, rotation):
    image = Image.new("RGB", (400, 400), "white")
    assert detect_rotation(_NoEngine(), image, lines, SETTINGS) == rotation


def test_layout_reads_columns_then_a_spanning_footer():
    lines = [_line("A Title Across Both Columns", 100, 10, 500, 40)]
    for row in range(6):
        y = 60 + row * 30
        lines.append(_line(f"left column line number {row}", 20, y, 290, y + 24))
        lines.append(_line(f"right column line number {row}", 310, y, 580, y + 24))
    lines.append(_line("a footer line that spans the whole page width", 20, 260, 580, 284))
    random.Random(3).shuffle(lines)
    texts = [line.text for block in layout_blocks(lines) for row in block.rows for line in row]
    assert texts[0] == "A Title Across Both Columns"
    assert texts[1:7] == [f"left column line number {i}" for i in range(6)]
    assert texts[7:13] == [f"right column line number {i}" for i in range(6)]
    assert texts[-1].startswith("a footer")


def test_layout_keeps_label_and_amount_rows_together():
    labels = ["Coffee", "Sandwich", "Cake", "Water", "TOTAL"]
    lines = []
    for row, label in enumerate(labels):
        y = 20 + row * 30
        lines.append(_line(label, 20, y, 20 + 12 * len(label), y + 24))
        lines.append(_line(f"{row + 2}.50", 400, y, 460, y + 24))
    blocks = layout_blocks(lines)
    text = "\n".join(block.text for block in blocks)
    assert text.splitlines() == [f"{label} {row + 2}.50" for row, label in enumerate(labels)]


def test_layout_groups_skewed_lines_and_splits_blocks_at_gaps():
    lines = [
        _line(f"skewed line {i}", 20, 20 + i * 26, 700, 42 + i * 26, skew=18) for i in range(3)
    ]
    lines += [
        _line(f"next paragraph {i}", 20, 200 + i * 26, 700, 222 + i * 26, skew=18) for i in range(2)
    ]
    blocks = layout_blocks(lines)
    assert [block.text for block in blocks] == [
        "skewed line 0\nskewed line 1\nskewed line 2",
        "next paragraph 0\nnext paragraph 1",
    ]
    assert blocks[0].bbox == pytest.approx((20, 2, 700, 94))


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_upright_points_map_back_to_the_source_image(rotation):
    source = Image.new("L", (50, 30), 0)
    source.putpixel((7, 4), 255)
    transposes = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180}
    transposes[270] = Image.Transpose.ROTATE_270
    upright = source.transpose(transposes[rotation]) if rotation else source
    u, v = np.argwhere(np.asarray(upright) == 255)[0][::-1]
    page = OcrPage((), upright.width, upright.height, rotation)
    x, y = to_source_point(u + 0.5, v + 0.5, page)
    assert (x - 0.5, y - 0.5) == pytest.approx((7, 4))


def test_render_size_follows_the_detector():
    letter = ocr_zoom(612, 792, OcrSettings(dpi=150))
    assert (round(612 * letter), round(792 * letter)) == (1275, 1650)
    small = ocr_zoom(200, 300, OcrSettings(dpi=150))
    assert round(200 * small) == DETECTOR_MIN_SIDE
    poster = ocr_zoom(2000, 3000, OcrSettings(dpi=150, max_side=2000))
    assert round(3000 * poster) == 2000


def test_eval_edit_distance_matches_dynamic_programming():
    from eval.ocr_eval import character_error_rate, edit_distance

    def reference(a: str, b: str) -> int:
        previous = list(range(len(b) + 1))
        for i, char_a in enumerate(a, 1):
            current = [i]
            for j, char_b in enumerate(b, 1):
                current.append(
                    min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
                )
            previous = current
        return previous[-1]

    rng = random.Random(11)
    for _ in range(300):
        a = "".join(rng.choice("ab c") for _ in range(rng.randint(0, 80)))
        b = "".join(rng.choice("abd ") for _ in range(rng.randint(0, 80)))
        assert edit_distance(a, b) == reference(a, b) == edit_distance(b, a)
    assert character_error_rate("the  cat\nsat", "the cat sat") == 0
    assert character_error_rate("the bat sat", "the cat sat") == pytest.approx(1 / 11)
