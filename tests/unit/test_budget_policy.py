"""The visual token budget policy: table-driven cases plus monotonicity properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.planning.budget import (
    MIN_GLYPH_PX,
    VisualChunkProfile,
    choose_budget,
    legible_budget,
    native_resolution_budget,
)
from schemas.budget import VISUAL_BUDGETS
from schemas.enums import ChunkKind

PAGE, IMAGE, FRAME = ChunkKind.PDF_PAGE, ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME
LETTER = (612.0, 792.0)  # 93.5 square inches
A0 = (2384.0, 3370.0)

CASES = [
    # (case id, profile, expected budget)
    ("override beats a dense page", VisualChunkProfile(PAGE, *LETTER, 3500, override=70), 70),
    ("override beats the frame cap", VisualChunkProfile(FRAME, 1920, 1080, override=1120), 1120),
    ("override beats native res", VisualChunkProfile(IMAGE, 10, 10, override=560), 560),
    ("scanned page, no text layer", VisualChunkProfile(PAGE, *LETTER), 560),
    ("figure page with a caption", VisualChunkProfile(PAGE, *LETTER, 50), 140),
    ("sparse page", VisualChunkProfile(PAGE, *LETTER, 300), 280),
    ("ordinary text page", VisualChunkProfile(PAGE, *LETTER, 1200), 560),
    ("dense text page", VisualChunkProfile(PAGE, *LETTER, 3500), 1120),
    ("empty text layer, a scan", VisualChunkProfile(PAGE, *LETTER, 0, median_font_pt=4.0), 560),
    ("sparse page, large font", VisualChunkProfile(PAGE, *LETTER, 300, median_font_pt=14), 280),
    ("sparse page, 10 pt font", VisualChunkProfile(PAGE, *LETTER, 300, median_font_pt=10), 560),
    ("sparse page, 6 pt font", VisualChunkProfile(PAGE, *LETTER, 300, median_font_pt=6), 1120),
    ("A0 poster, 10 pt text", VisualChunkProfile(PAGE, *A0, 3000, median_font_pt=10), 1120),
    ("A0 poster, no font info", VisualChunkProfile(PAGE, *A0, 3000), 280),
    ("photo", VisualChunkProfile(IMAGE, 4000, 3000), 280),
    ("scanned page image", VisualChunkProfile(IMAGE, 2480, 3508, is_document_scan=True), 560),
    ("image with some text", VisualChunkProfile(IMAGE, 1200, 900, 300), 560),
    ("image full of text", VisualChunkProfile(IMAGE, 2480, 3508, 2000), 1120),
    ("small photo, native cap", VisualChunkProfile(IMAGE, 300, 200), 70),
    ("small scan, native cap", VisualChunkProfile(IMAGE, 640, 480, is_document_scan=True), 140),
    ("frame without text", VisualChunkProfile(FRAME, 1920, 1080), 70),
    ("frame with a caption", VisualChunkProfile(FRAME, 1920, 1080, 50), 140),
    ("frame of a slide", VisualChunkProfile(FRAME, 1920, 1080, 500), 280),
    ("frame of a long document", VisualChunkProfile(FRAME, 1920, 1080, 5000), 280),
    ("thumbnail frame, native cap", VisualChunkProfile(FRAME, 160, 120, 500), 70),
]


@pytest.mark.parametrize(("profile", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_policy_table(profile, expected):
    assert choose_budget(profile) == expected


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": ChunkKind.SPEECH_SEGMENT, "width": 1, "height": 1}, "no visual budget"),
        ({"kind": PAGE, "width": 612, "height": 792, "override": 100}, "override"),
        ({"kind": PAGE, "width": 612, "height": 792, "override": 280.0}, "override"),
        ({"kind": PAGE, "width": 0, "height": 792}, "positive"),
        ({"kind": PAGE, "width": 612, "height": 792, "text_chars": -1}, "negative"),
        ({"kind": PAGE, "width": 612, "height": 792, "median_font_pt": 0}, "median_font_pt"),
    ],
)
def test_invalid_profiles_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VisualChunkProfile(**kwargs)


def test_legible_budget_is_the_smallest_that_reaches_the_glyph_height():
    for font_pt in (4.0, 6.0, 8.0, 10.0, 12.0, 20.0):
        budget = legible_budget(*LETTER, font_pt)
        index = VISUAL_BUDGETS.index(budget)
        if index > 0:
            smaller = VISUAL_BUDGETS[index - 1]
            px_per_pt = (smaller * 48 * 48 / (LETTER[0] * LETTER[1])) ** 0.5
            assert font_pt * px_per_pt < MIN_GLYPH_PX


@given(width=st.integers(1, 20_000), height=st.integers(1, 20_000))
def test_native_resolution_budget_covers_the_image(width, height):
    budget = native_resolution_budget(width, height)
    index = VISUAL_BUDGETS.index(budget)
    if budget != VISUAL_BUDGETS[-1]:
        assert budget * 48 * 48 >= width * height
    if index > 0:
        assert VISUAL_BUDGETS[index - 1] * 48 * 48 < width * height


sizes = st.floats(min_value=50, max_value=5_000)
chars = st.integers(min_value=0, max_value=20_000)
fonts = st.none() | st.floats(min_value=2, max_value=40)


@given(width=sizes, height=sizes, fewer=chars, more=chars, font=fonts)
def test_more_text_never_lowers_a_page_budget(width, height, fewer, more, font):
    fewer, more = sorted((max(fewer, 1), max(more, 1)))  # no text at all is the scan case
    low = choose_budget(VisualChunkProfile(PAGE, width, height, fewer, median_font_pt=font))
    high = choose_budget(VisualChunkProfile(PAGE, width, height, more, median_font_pt=font))
    assert low <= high


@given(width=sizes, height=sizes, text=st.integers(1, 20_000), a=fonts, b=fonts)
def test_smaller_fonts_never_lower_a_page_budget(width, height, text, a, b):
    if a is None or b is None:
        return
    small, large = sorted((a, b))
    with_small = choose_budget(VisualChunkProfile(PAGE, width, height, text, median_font_pt=small))
    with_large = choose_budget(VisualChunkProfile(PAGE, width, height, text, median_font_pt=large))
    assert with_small >= with_large


@given(
    kind=st.sampled_from([IMAGE, FRAME]),
    width=st.integers(1, 8_000),
    height=st.integers(1, 8_000),
    text=st.none() | chars,
    scan=st.booleans(),
)
def test_pixel_media_never_pay_for_upscaling(kind, width, height, text, scan):
    budget = choose_budget(VisualChunkProfile(kind, width, height, text, is_document_scan=scan))
    assert budget in VISUAL_BUDGETS
    assert budget <= native_resolution_budget(width, height)
    if kind is FRAME:
        assert budget <= 280
