"""Exact Gemma 4 image geometry: the pixel size an image gets for a visual token budget.

What the server does, as read in transformers' Gemma 4 image processor
(`get_aspect_ratio_preserving_size` in `models/gemma4/image_processing_gemma4.py` and
`image_processing_pil_gemma4.py`) and vLLM's `Gemma4ProcessingInfo._compute_num_soft_tokens`
(`vllm/model_executor/models/gemma4_mm.py`):

* Patches are 16 px and pooled 3x3, so one soft token covers 48x48 px. Budget B allows 9B
  patches, a target area of 2304B px.
* Both sides are multiplied by `sqrt(2304B / (w*h))` (small images are scaled up) and each is
  floored to a multiple of 48.
* A side that floors to 0 becomes 48 and the other side becomes `floor(long/short) * 48`,
  capped at `48B`: the image is stretched into one row or column of at most B tokens. Both
  sides 0 raises, but cannot happen: the ideal sides multiply to 2304B, so one is >= 48*sqrt(70).
* Tokens are `(h//16) * (w//16) // 9`, which is `(w/48) * (h/48)` after the resize. Flooring
  never adds area and the zero-side branch is capped at B, so an image never gets more than B
  tokens (the processor raises if it would; vLLM also clamps its placeholder count to B). vLLM
  wraps them in `<boi>`/`<eoi>`: an image costs tokens + 2 prompt tokens.
* The processor resamples (bicubic) unless the image already has its target size.

The processor's result is not always a fixed point: run again on its own output, which is what
the server does with the image a client sends, about one time in ten it grows a side by 48 px
(a 204x100 image at budget 70 becomes 528x240, which the server would stretch to 576x240). A
client rendering at the first size would get its image resampled a second time. `target_size`
therefore returns a native size, one the processor leaves untouched: the processor's own result
when it is native, else the native size whose aspect ratio is closest to the source's.

Sizes are (width, height) throughout; transformers returns (height, width).
"""

import math
from functools import lru_cache

from schemas.budget import VISUAL_BUDGETS, VisualBudget, is_visual_budget

PATCH_PX = 16
POOLING_KERNEL = 3
TOKEN_PX = PATCH_PX * POOLING_KERNEL
IMAGE_WRAPPER_TOKENS = 2
RENDER_EDGE_SLACK_PX = 0.5
"""`<boi>` and `<eoi>` around each image's soft tokens in the prompt."""

__all__ = [
    "IMAGE_WRAPPER_TOKENS",
    "PATCH_PX",
    "POOLING_KERNEL",
    "TOKEN_PX",
    "VISUAL_BUDGETS",
    "VisualBudget",
    "image_prompt_tokens",
    "is_native_size",
    "native_grids",
    "processor_size",
    "render_matrix_for_page",
    "soft_tokens",
    "target_size",
]


def _check(width: float, height: float, budget: int) -> None:
    if not is_visual_budget(budget):
        raise ValueError(f"budget must be one of {VISUAL_BUDGETS}, got {budget!r}")
    for name, side in (("width", width), ("height", height)):
        if not (math.isfinite(side) and side > 0):
            raise ValueError(f"{name} must be a positive finite number, got {side!r}")


def processor_size(width: float, height: float, budget: int) -> tuple[int, int]:
    """The (width, height) Gemma 4's image processor resizes a width x height image to."""
    _check(width, height, budget)
    target_px = budget * POOLING_KERNEL**2 * PATCH_PX**2
    factor = math.sqrt(target_px / (height * width))
    new_w = math.floor(factor * width / TOKEN_PX) * TOKEN_PX
    new_h = math.floor(factor * height / TOKEN_PX) * TOKEN_PX
    if new_w == 0 and new_h == 0:
        raise ValueError(f"cannot resize {width}x{height} to a multiple of {TOKEN_PX}")
    max_side = budget * TOKEN_PX
    if new_h == 0:
        new_h = TOKEN_PX
        new_w = min(math.floor(width / height) * TOKEN_PX, max_side)
    elif new_w == 0:
        new_w = TOKEN_PX
        new_h = min(math.floor(height / width) * TOKEN_PX, max_side)
    if new_w * new_h > target_px:
        raise ValueError(f"{width}x{height} -> {new_w}x{new_h} exceeds {budget} soft tokens")
    return new_w, new_h


def soft_tokens(width: int, height: int) -> int:
    """Soft tokens of an image the processor receives at exactly width x height pixels."""
    if width < 0 or height < 0:
        raise ValueError(f"sizes must not be negative, got {width}x{height}")
    return (height // PATCH_PX) * (width // PATCH_PX) // POOLING_KERNEL**2


def image_prompt_tokens(width: int, height: int, budget: int) -> int:
    """Prompt tokens vLLM spends on one width x height image sent with `max_soft_tokens=budget`."""
    new_w, new_h = processor_size(width, height, budget)
    return min(soft_tokens(new_w, new_h), budget) + IMAGE_WRAPPER_TOKENS


def is_native_size(width: int, height: int, budget: int) -> bool:
    """Whether the processor leaves a width x height image unresized at this budget."""
    return processor_size(width, height, budget) == (width, height)


@lru_cache(maxsize=len(VISUAL_BUDGETS))
def native_grids(budget: VisualBudget) -> tuple[tuple[int, int], ...]:
    """Every native size of a budget as (columns, rows) of 48 px tokens."""
    _check(1, 1, budget)
    return tuple(
        (cols, rows)
        for cols in range(1, budget + 1)
        for rows in range(1, budget // cols + 1)
        if is_native_size(cols * TOKEN_PX, rows * TOKEN_PX, budget)
    )


def target_size(width: float, height: float, budget: VisualBudget) -> tuple[int, int]:
    """The native (width, height) in pixels to render a width x height source at for `budget`.

    Equal to `processor_size` whenever that is native (about nine times in ten, including
    US-Letter: 612x792 pt -> 672x912 at 280, 1392x1824 at 1120); otherwise the native size with
    the closest aspect ratio, and among equals the one with more tokens.
    """
    size = processor_size(width, height, budget)
    if is_native_size(*size, budget):
        return size
    aspect = math.log(width / height)

    def distortion(grid: tuple[int, int]) -> tuple[float, int]:
        cols, rows = grid
        return abs(math.log(cols / rows) - aspect), -cols * rows

    cols, rows = min(native_grids(budget), key=distortion)
    return cols * TOKEN_PX, rows * TOKEN_PX


def render_matrix_for_page(
    width_pt: float, height_pt: float, budget: VisualBudget, edge_slack_px: float = 0.0
) -> tuple[float, float]:
    """Zoom factors (x, y) that render a page of the given displayed size at its target size.

    Pass the page's displayed size (`page.rect`, after rotation); `pymupdf.Matrix(x, y)` then
    yields a pixmap of `target_size(width_pt, height_pt, budget)` pixels. MuPDF rounds the far
    edge up in single precision, so on extreme pages (3 x 12,312 pt at 1120) the exact zoom
    lands a hair past it and gives one pixel more; `edge_slack_px=RENDER_EDGE_SLACK_PX` aims
    half a pixel short of the edge, which gives the exact size there.
    """
    width_px, height_px = target_size(width_pt, height_pt, budget)
    return (width_px - edge_slack_px) / width_pt, (height_px - edge_slack_px) / height_pt
