"""The legibility budget policy: exact decisions per profile plus monotonicity properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.planning.budget import (
    MIN_EM_PX,
    VisualChunkProfile,
    choose_budget,
    legible_budget,
    native_resolution_budget,
    rendered_scale,
)
from schemas.budget import VISUAL_BUDGETS
from schemas.enums import ChunkKind

PAGE, IMAGE, FRAME = ChunkKind.PDF_PAGE, ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME
LETTER = (612.0, 792.0)  # 1 pt renders 0.55/0.79/1.12/1.57/2.29 px at 70..1120
SLIDE = (720.0, 405.0)
A0 = (2384.0, 3370.0)
A4_300DPI = (2480, 3508)
HD = (1920, 1080)


def page(size=LETTER, chars=None, font=None, share=None, x_height=None, override=None):
    width, height = size
    return VisualChunkProfile(PAGE, width, height, chars, font, share, x_height, override=override)


def pixels(kind, size, share=None, x_height=None, override=None):
    width, height = size
    return VisualChunkProfile(kind, width, height, None, None, share, x_height, override=override)


# An em must reach 12 px at the target size: on Letter >= 21.9 pt at 70, >= 15.3 at 140,
# >= 10.7 at 280, >= 7.6 at 560, else 1120. An x-height measured in pixels must reach 7 px:
# on Letter >= 12.8 pt at 70, >= 8.9 at 140, >= 6.2 at 280, >= 4.45 at 560, else 1120.
CASES = [
    # (case id, profile, expected budget)
    ("override beats a dense page", page(chars=3500, font=6, override=70), 70),
    ("override beats no text", pixels(FRAME, HD, 0.0, override=1120), 1120),
    ("override beats native res", pixels(IMAGE, (10, 10), override=560), 560),
    ("12 pt text page", page(chars=2000, font=12), 280),
    ("10 pt text page", page(chars=3000, font=10), 560),
    ("6 pt small print", page(chars=3000, font=6), 1120),
    ("11 pt but 5000 chars: > 16 per token at 280", page(chars=5000, font=11), 560),
    ("28 pt slide", page(SLIDE, chars=120, font=28), 70),
    ("14 pt slide", page(SLIDE, chars=300, font=14), 140),
    ("A0 poster, 10 pt text", page(A0, chars=3000, font=10), 1120),
    ("A0 poster, 40 pt text", page(A0, chars=800, font=40), 560),
    ("text layer, no credible font size", page(chars=300), 560),
    ("scan, pixels not measured", page(), 560),
    ("empty text layer, pixels not measured", page(chars=0, font=12), 560),
    ("blank scan", page(share=0.0), 70),
    ("scan of 10 pt text (x-height 4.5 pt)", page(share=0.1, x_height=4.5), 560),
    ("scan of large print (x-height 9 pt)", page(share=0.1, x_height=9.0), 140),
    ("scan of 6 pt print (x-height 2.7 pt)", page(share=0.2, x_height=2.7), 1120),
    ("photo, no text found", pixels(IMAGE, (4000, 3000), 0.0), 280),
    ("image, not measured", pixels(IMAGE, (4000, 3000)), 560),
    ("A4 scan at 300 dpi, 10 pt text", pixels(IMAGE, A4_300DPI, 0.1, 18.75), 560),
    ("A4 scan at 300 dpi, 16 pt text", pixels(IMAGE, A4_300DPI, 0.1, 30.0), 280),
    ("small photo, native cap", pixels(IMAGE, (300, 200), 0.0), 70),
    ("small scan, tiny text, native cap", pixels(IMAGE, (640, 480), 0.1, 3.0), 140),
    ("frame without text", pixels(FRAME, HD, 0.0), 70),
    ("frame of a 24 pt slide (x-height 24 px)", pixels(FRAME, HD, 0.05, 24.0), 140),
    ("frame of a 40 pt title (x-height 40 px)", pixels(FRAME, HD, 0.02, 40.0), 70),
    ("frame with 12 px captions", pixels(FRAME, HD, 0.01, 12.0), 560),
    ("frame of a document, 6 px x-height", pixels(FRAME, HD, 0.3, 6.0), 1120),
    ("frame, not measured", pixels(FRAME, HD), 560),
    ("thumbnail frame, native cap", pixels(FRAME, (160, 120), 0.1, 3.0), 70),
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
        ({"kind": PAGE, "width": 612, "height": 792, "min_font_pt": 0}, "min_font_pt"),
        ({"kind": PAGE, "width": 612, "height": 792, "min_text_height": -1}, "min_text_height"),
        ({"kind": PAGE, "width": 612, "height": 792, "text_area_share": 1.5}, "text_area_share"),
    ],
)
def test_invalid_profiles_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VisualChunkProfile(**kwargs)


def test_legible_budget_is_the_smallest_that_reaches_the_glyph_height():
    for font_pt in (4.0, 6.0, 8.0, 10.0, 12.0, 20.0):
        budget = legible_budget(*LETTER, font_pt, MIN_EM_PX)
        index = VISUAL_BUDGETS.index(budget)
        if budget != VISUAL_BUDGETS[-1]:
            assert font_pt * rendered_scale(*LETTER, budget) >= MIN_EM_PX
        if index > 0:
            smaller = VISUAL_BUDGETS[index - 1]
            assert font_pt * rendered_scale(*LETTER, smaller) < MIN_EM_PX


def test_rendered_scale_follows_the_target_size():
    # US Letter at 280 is 672 x 912 px, at 1120 1392 x 1824 (pipeline.planning.geometry).
    assert rendered_scale(*LETTER, 280) == pytest.approx((672 * 912 / (612 * 792)) ** 0.5)
    assert rendered_scale(*LETTER, 1120) == pytest.approx((1392 * 1824 / (612 * 792)) ** 0.5)


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
heights = st.floats(min_value=0.5, max_value=200)


@given(width=sizes, height=sizes, fewer=chars, more=chars, font=fonts)
def test_more_text_never_lowers_a_page_budget(width, height, fewer, more, font):
    fewer, more = sorted((max(fewer, 1), max(more, 1)))  # no text at all is the scan case
    low = choose_budget(page((width, height), fewer, font))
    high = choose_budget(page((width, height), more, font))
    assert low <= high


@given(width=sizes, height=sizes, text=st.integers(1, 20_000), a=fonts, b=fonts)
def test_smaller_fonts_never_lower_a_page_budget(width, height, text, a, b):
    if a is None or b is None:
        return
    small, large = sorted((a, b))
    with_small = choose_budget(page((width, height), text, small))
    with_large = choose_budget(page((width, height), text, large))
    assert with_small >= with_large


@given(
    kind=st.sampled_from([PAGE, IMAGE, FRAME]),
    width=sizes,
    height=sizes,
    a=heights,
    b=heights,
)
def test_smaller_measured_text_never_lowers_a_budget(kind, width, height, a, b):
    small, large = sorted((a, b))
    with_small = choose_budget(VisualChunkProfile(kind, width, height, None, None, 0.1, small))
    with_large = choose_budget(VisualChunkProfile(kind, width, height, None, None, 0.1, large))
    assert with_small >= with_large


@given(
    kind=st.sampled_from([IMAGE, FRAME]),
    width=st.integers(1, 8_000),
    height=st.integers(1, 8_000),
    share=st.none() | st.floats(0, 1),
    x_height=st.none() | heights,
)
def test_pixel_media_never_pay_for_upscaling(kind, width, height, share, x_height):
    budget = choose_budget(pixels(kind, (width, height), share, x_height))
    assert budget in VISUAL_BUDGETS
    assert budget <= native_resolution_budget(width, height)
