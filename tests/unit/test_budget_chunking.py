"""Budgets of generated pages and images, from chunking to planning: exact decisions.

Fonts and sizes are known, so the recorded smallest font (text layers) or measured x-height
(pixels) and the budget they lead to are known too (the pixel rule: an em of 12 px, an
x-height measured in pixels of 7 px at the target size; see pipeline/planning/budget.py).
"""

from pathlib import Path

import pymupdf
import pytest

from pipeline.chunking.documents import chunk_image, chunk_pdf
from pipeline.planning.jobs import plan_jobs
from pipeline.planning.routing import (
    ConfiguredTiers,
    RoutingRequest,
    choose_route,
    may_reach_model_tier,
)
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, Tier

LETTER = (612, 792)
SLIDE = (720, 405)
LOREM = "The quick brown fox jumps over the lazy dog and reads every line of it. "


def _text_page(document: pymupdf.Document, size, font_pt: float, lines: int, font="tiro"):
    page = document.new_page(width=size[0], height=size[1])
    y = 36 + font_pt
    for _ in range(lines):
        page.insert_text((36, y), LOREM, fontsize=font_pt, fontname=font)
        y += font_pt * 1.3
    return page


def _pdf(tmp_path: Path, name: str, build) -> Path:
    document = pymupdf.open()
    build(document)
    path = tmp_path / name
    document.save(path)
    return path


def _scan_png(tmp_path: Path, font_pt: float, lines: int, dpi: int = 200) -> Path:
    """A page of text rendered to pixels: no text layer left."""
    document = pymupdf.open()
    page = _text_page(document, LETTER, font_pt, lines)
    path = tmp_path / f"scan-{font_pt}.png"
    page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY).save(path)
    return path


def _budgets(chunks: list[ChunkDescriptor]) -> list[int | None]:
    plans = plan_jobs(chunks, RoutingRequest(tier="moe"), None, ConfiguredTiers(moe=True))
    return [plan.budget for plan in plans]


def test_text_layer_pages_get_the_budget_their_smallest_font_needs(tmp_path):
    def build(document):
        _text_page(document, LETTER, 6, 40)  # small print
        _text_page(document, LETTER, 10, 40)  # body text
        _text_page(document, LETTER, 12, 30)
        _text_page(document, SLIDE, 28, 4)  # a large-print slide
        document.new_page(width=LETTER[0], height=LETTER[1])  # empty

    chunks = list(chunk_pdf(_pdf(tmp_path, "pages.pdf", build)))
    assert [c.min_font_pt for c in chunks] == [6.0, 10.0, 12.0, 28.0, None]
    assert [c.has_text_layer for c in chunks] == [True, True, True, True, False]
    assert chunks[4].text_area_share == 0.0
    assert chunks[4].min_text_height is None
    assert _budgets(chunks) == [1120, 560, 280, 70, 70]


def test_a_footnote_line_does_not_set_the_smallest_font(tmp_path):
    def build(document):
        page = _text_page(document, LETTER, 12, 30)
        page.insert_text((36, 760), "1", fontsize=5, fontname="tiro")  # a footnote mark

    (chunk,) = chunk_pdf(_pdf(tmp_path, "footnote.pdf", build))
    assert chunk.min_font_pt == 12.0
    assert _budgets([chunk]) == [280]


def test_density_raises_a_legible_page(tmp_path):
    def build(document):
        page = document.new_page(width=LETTER[0], height=LETTER[1])
        y = 20.0
        while y < 780:  # 11 pt lines packed edge to edge: > 16 characters per token at 280
            page.insert_text((10, y), LOREM * 2, fontsize=11, fontname="tiro")
            y += 11.5

    (chunk,) = chunk_pdf(_pdf(tmp_path, "dense.pdf", build))
    assert chunk.min_font_pt == 11.0
    assert chunk.text_chars is not None
    assert chunk.text_chars > 280 * 16
    assert _budgets([chunk]) == [560]


@pytest.mark.parametrize(
    ("font_pt", "budget"),
    [(7, 1120), (10, 560), (20, 140), (30, 70)],
)
def test_scanned_pages_get_the_budget_their_measured_text_needs(tmp_path, font_pt, budget):
    png = _scan_png(tmp_path, font_pt, lines=int(600 / (font_pt * 1.3)))

    def build(document):
        page = document.new_page(width=LETTER[0], height=LETTER[1])
        page.insert_image(page.rect, filename=png)

    (chunk,) = chunk_pdf(_pdf(tmp_path, "scan.pdf", build))
    assert chunk.has_text_layer is False
    assert chunk.text_area_share is not None
    assert chunk.text_area_share > 0
    assert _budgets([chunk]) == [budget]


def test_images_get_the_budget_their_measured_text_needs(tmp_path):
    small = list(chunk_image(_scan_png(tmp_path, 7, lines=60, dpi=300)))
    large = list(chunk_image(_scan_png(tmp_path, 30, lines=14, dpi=300)))
    assert _budgets(small) == [1120]
    assert _budgets(large) == [70]


def test_a_blank_image_gets_the_photo_budget_and_a_blank_scan_the_minimum(tmp_path):
    blank = tmp_path / "blank.png"
    white = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 1700, 2200), 0)
    white.clear_with(255)
    white.save(blank)
    (chunk,) = chunk_image(blank)
    assert (chunk.text_area_share, chunk.min_text_height) == (0.0, None)
    assert _budgets([chunk]) == [280]


@pytest.mark.parametrize(
    ("request_", "configured", "needed"),
    [
        (RoutingRequest(), ConfiguredTiers(), False),  # the embedded default: all local
        (RoutingRequest(tier="local"), ConfiguredTiers(moe=True), False),  # pinned local
        (RoutingRequest(tier="local", schema="invoice"), ConfiguredTiers(moe=True), False),
        (RoutingRequest(tier="edge", schema="invoice"), ConfiguredTiers(), True),
        (RoutingRequest(), ConfiguredTiers(edge=True), False),  # speech only
        (RoutingRequest(tier="edge"), ConfiguredTiers(edge=True), False),
        (RoutingRequest(), ConfiguredTiers(moe=True), True),  # scans go to the model
        (RoutingRequest(tier="moe"), ConfiguredTiers(), True),  # waits for the tier
        (RoutingRequest(schema="invoice"), ConfiguredTiers(), True),  # pages go to the model
    ],
)
def test_legibility_is_measured_only_when_a_chunk_may_reach_the_model_tier(
    request_, configured, needed
):
    assert may_reach_model_tier(request_, configured) is needed
    visual = [
        ChunkDescriptor(seq=0, kind=ChunkKind.PDF_PAGE, page_number=1, has_text_layer=True),
        ChunkDescriptor(seq=1, kind=ChunkKind.PDF_PAGE, page_number=2, has_text_layer=False),
        ChunkDescriptor(seq=2, kind=ChunkKind.IMAGE, page_number=1),
        ChunkDescriptor(seq=3, kind=ChunkKind.VIDEO_FRAME, page_number=1),
    ]
    routed = {choose_route(chunk, request_, configured).tier for chunk in visual}
    assert (Tier.MOE in routed) is needed  # the same answer routing gives chunk by chunk


def _refuse(*args, **kwargs):
    raise AssertionError("a legibility measure was taken")


def test_without_legibility_no_page_or_image_is_measured(tmp_path, monkeypatch):
    png = _scan_png(tmp_path, 10, lines=20)

    def build(document):
        _text_page(document, LETTER, 10, 20)
        page = document.new_page(width=LETTER[0], height=LETTER[1])
        page.insert_image(page.rect, filename=png)

    path = _pdf(tmp_path, "mixed.pdf", build)
    measured = list(chunk_pdf(path))
    for name in ("page_legibility", "measure_image_frame"):
        monkeypatch.setattr(f"pipeline.chunking.documents.{name}", _refuse)
    for name in ("text_layer_profile", "measure_page_pixels", "measure_image"):
        monkeypatch.setattr(f"pipeline.sources.legibility.{name}", _refuse)
    bare = list(chunk_pdf(path, legibility=False))
    assert [c.has_text_layer for c in bare] == [c.has_text_layer for c in measured] == [True, False]
    assert [(c.width, c.height) for c in bare] == [(c.width, c.height) for c in measured]
    assert measured[0].min_font_pt == 10 and measured[1].text_area_share
    for chunk in bare:
        assert (chunk.text_chars, chunk.min_font_pt) == (None, None)
        assert (chunk.text_area_share, chunk.min_text_height) == (None, None)
    (image,) = chunk_image(png, legibility=False)
    assert (image.width, image.height, image.text_area_share) == (1700, 2200, None)


def test_a_local_only_plan_skips_the_measures_and_a_model_plan_takes_them(tmp_path):
    from workers.isolation.messages import PlanRequest
    from workers.isolation.work import plan_document

    png = _scan_png(tmp_path, 10, lines=20)
    local = plan_document(PlanRequest(png, RoutingRequest(), None, ConfiguredTiers()))
    model = plan_document(PlanRequest(png, RoutingRequest(), None, ConfiguredTiers(moe=True)))
    ((local_plan,), (model_plan,)) = (local.plans, model.plans)
    assert (local_plan.tier.value, local_plan.budget, local_plan.chunk.text_area_share) == (
        "local",
        None,
        None,
    )
    assert model_plan.tier.value == "moe"
    assert model_plan.chunk.text_area_share is not None and model_plan.budget == 560
