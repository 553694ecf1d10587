"""Gemma 4 image geometry: properties over every budget and the documented examples."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.planning.geometry import (
    IMAGE_WRAPPER_TOKENS,
    TOKEN_PX,
    image_prompt_tokens,
    is_native_size,
    native_grids,
    processor_size,
    render_matrix_for_page,
    soft_tokens,
    target_size,
)
from schemas.budget import VISUAL_BUDGETS, is_visual_budget

budgets = st.sampled_from(VISUAL_BUDGETS)
int_sides = st.integers(min_value=1, max_value=30_000)
float_sides = st.floats(min_value=1.0, max_value=30_000.0, allow_nan=False)
sides = int_sides | float_sides


def reference_size(height: float, width: float, budget: int) -> tuple[int, int]:
    """transformers' rule restated independently, in its own (height, width) order."""
    max_patches = budget * 9
    factor = math.sqrt(max_patches * 16 * 16 / (height * width))
    out_h = math.floor(factor * height / 48) * 48
    out_w = math.floor(factor * width / 48) * 48
    if out_h == 0:
        return 48, min(math.floor(width / height) * 48, max_patches // 9 * 48)
    if out_w == 0:
        return min(math.floor(height / width) * 48, max_patches // 9 * 48), 48
    return out_h, out_w


def log_aspect_error(size: tuple[int, int], width: float, height: float) -> float:
    return abs(math.log(size[0] / size[1]) - math.log(width / height))


def fixed_point(width: float, height: float, budget: int) -> tuple[int, int]:
    size = processor_size(width, height, budget)
    while not is_native_size(*size, budget):
        size = processor_size(*size, budget)
    return size


@pytest.mark.parametrize(
    ("budget", "expected_size", "expected_tokens"),
    [(280, (672, 912), 266), (1120, (1392, 1824), 1102)],
)
def test_us_letter_examples(budget, expected_size, expected_tokens):
    assert processor_size(612, 792, budget) == expected_size
    assert target_size(612, 792, budget) == expected_size
    width, height = expected_size
    assert soft_tokens(width, height) == expected_tokens
    assert image_prompt_tokens(width, height, budget) == expected_tokens + 2


@settings(max_examples=400, deadline=None)
@given(width=sides, height=sides, budget=budgets)
def test_processor_size_matches_the_transformers_rule(width, height, budget):
    out_h, out_w = reference_size(height, width, budget)
    assert processor_size(width, height, budget) == (out_w, out_h)


@settings(max_examples=400, deadline=None)
@given(width=sides, height=sides, budget=budgets)
def test_processor_size_stays_within_budget_on_the_48px_grid(width, height, budget):
    new_w, new_h = processor_size(width, height, budget)
    assert new_w % TOKEN_PX == 0
    assert new_h % TOKEN_PX == 0
    assert new_w >= TOKEN_PX
    assert new_h >= TOKEN_PX
    assert 1 <= soft_tokens(new_w, new_h) <= budget


@settings(max_examples=400, deadline=None)
@given(width=sides, height=sides, budget=budgets)
def test_target_size_is_native_and_within_budget(width, height, budget):
    size = target_size(width, height, budget)
    assert size[0] % TOKEN_PX == 0
    assert size[1] % TOKEN_PX == 0
    assert is_native_size(*size, budget)
    assert 1 <= soft_tokens(*size) <= budget
    assert image_prompt_tokens(*size, budget) == soft_tokens(*size) + IMAGE_WRAPPER_TOKENS


@settings(max_examples=300, deadline=None)
@given(width=sides, height=sides, budget=budgets)
def test_target_size_is_the_processor_result_when_that_is_native(width, height, budget):
    processed = processor_size(width, height, budget)
    if is_native_size(*processed, budget):
        assert target_size(width, height, budget) == processed
    else:
        chosen = target_size(width, height, budget)
        assert chosen != processed
        iterated = fixed_point(width, height, budget)
        assert log_aspect_error(chosen, width, height) <= log_aspect_error(iterated, width, height)


def test_some_processor_results_are_not_native():
    not_native = [
        (w, h, b)
        for b in VISUAL_BUDGETS
        for w in range(100, 400, 7)
        for h in range(100, 400, 11)
        if not is_native_size(*processor_size(w, h, b), b)
    ]
    assert not_native, "expected the processor to be non-idempotent somewhere"
    width, height, budget = not_native[0]
    first = processor_size(width, height, budget)
    assert processor_size(*first, budget) != first
    assert is_native_size(*target_size(width, height, budget), budget)


ZERO_SIDE_CASES = [
    (width, height, budget)
    for width, height in [(1, 10_000), (10_000, 1), (2, 5_000), (1, 1_000_000), (3, 900)]
    for budget in VISUAL_BUDGETS
    if max(width, height) / min(width, height) > budget  # the short side floors to 0
]


@pytest.mark.parametrize(("width", "height", "budget"), ZERO_SIDE_CASES)
def test_extreme_aspect_ratios_collapse_to_one_row_or_column(width, height, budget):
    new_w, new_h = processor_size(width, height, budget)
    long_side = max(width, height) // min(width, height)
    expected_long = min(long_side, budget) * TOKEN_PX
    assert min(new_w, new_h) == TOKEN_PX
    assert max(new_w, new_h) == expected_long
    assert (new_w < new_h) == (width < height)
    assert soft_tokens(new_w, new_h) <= budget
    assert soft_tokens(*target_size(width, height, budget)) <= budget


@pytest.mark.parametrize("budget", VISUAL_BUDGETS)
@pytest.mark.parametrize("side", [1, 7, 48, 30_000])
def test_square_images_of_any_size_become_the_same_square(side, budget):
    cells = math.isqrt(budget)
    assert processor_size(side, side, budget) == (cells * TOKEN_PX, cells * TOKEN_PX)
    assert target_size(side, side, budget) == (cells * TOKEN_PX, cells * TOKEN_PX)


@pytest.mark.parametrize("budget", VISUAL_BUDGETS)
def test_native_grids_are_exactly_the_fixed_points(budget):
    grids = set(native_grids(budget))
    for cols in range(1, budget + 1):
        for rows in range(1, budget // cols + 1):
            size = (cols * TOKEN_PX, rows * TOKEN_PX)
            assert ((cols, rows) in grids) == (processor_size(*size, budget) == size)
    assert (1, budget) in grids
    assert (budget, 1) in grids


@given(cols=st.integers(0, 60), rows=st.integers(0, 60), extra_w=st.integers(0, 47))
def test_soft_tokens_counts_whole_pooled_patches(cols, rows, extra_w):
    width, height = cols * TOKEN_PX + extra_w, rows * TOKEN_PX
    patches = (width // 16) * (height // 16)
    assert soft_tokens(width, height) == patches // 9
    assert soft_tokens(cols * TOKEN_PX, rows * TOKEN_PX) == cols * rows


@settings(max_examples=200, deadline=None)
@given(width=float_sides, height=float_sides, budget=budgets)
def test_render_matrix_scales_the_page_to_its_target(width, height, budget):
    zoom_x, zoom_y = render_matrix_for_page(width, height, budget)
    target_w, target_h = target_size(width, height, budget)
    assert width * zoom_x == pytest.approx(target_w, abs=1e-6)
    assert height * zoom_y == pytest.approx(target_h, abs=1e-6)


@pytest.mark.parametrize("budget", [0, 69, 100, 1121, 280.0, True])
def test_unknown_budgets_are_rejected(budget):
    assert not is_visual_budget(budget)
    with pytest.raises(ValueError, match="budget"):
        processor_size(612, 792, budget)


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (-5, 10), (math.inf, 10)])
def test_degenerate_sizes_are_rejected(width, height):
    with pytest.raises(ValueError, match="positive"):
        target_size(width, height, 280)
