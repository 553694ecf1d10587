"""Choosing a visual token budget for one page, image or video frame: a pure policy.

The budget is the smallest of 70/140/280/560/1120 soft tokens at which the smallest text that
matters stays legible after Gemma 4's resize (`pipeline.planning.geometry.target_size`).

The pixel rule: at the budget's target size, an em (the font size) must be at least
`MIN_EM_PX` = 12 px, or, where text was measured in pixels, its x-height at least
`MIN_X_HEIGHT_PX` = 7 px. Why 12 px: Gemma 4's encoder sees 16 px patches pooled 3x3 into one
token; at 12 px an em and a line of text fit in one patch row, lowercase letters are 6 px high
with strokes about 1 px wide, and below that resampling merges them (rn/m, e/c/o). Text in
pixels (scans, photos, frames) was blurred once already by the scanner or camera and gets one
pixel more: 7 px rather than half of 12. The OCR proxy (`bench/budget_policy.py`) loses under
a point of CER at these sizes against the 1120 rendering (at 6 px, receipts lost 1.1 points).

| chunk | what was recorded | budget |
|---|---|---|
| any | the request's `budget` | that budget |
| text-layer page | smallest body font (pt) | legible for it (and >= chars / 16 tokens) |
| scan, image, frame | x-height of the smallest text in the pixels | legible for it |
| scan, frame | pixels measured, no text found | 70 (`EMPTY_BUDGET`) |
| image | pixels measured, no text found (a photo) | 280 (`PHOTO_BUDGET`) |
| any | nothing recorded (older chunks, undecodable pixels) | 560 (`UNMEASURED_BUDGET`) |

Text too small to be legible even at 1120 gets 1120. Images and frames have no resolution
beyond their pixels, so their budget is capped at the smallest one whose target area covers
the source (no paying for upscaling).
"""

import math
from dataclasses import dataclass

from pipeline.planning.geometry import TOKEN_PX, target_size
from schemas.budget import VISUAL_BUDGETS, VisualBudget, is_visual_budget
from schemas.enums import ChunkKind
from schemas.media import VISUAL_KINDS

__all__ = [
    "EMPTY_BUDGET",
    "MAX_CHARS_PER_TOKEN",
    "MIN_EM_PX",
    "MIN_X_HEIGHT_PX",
    "PHOTO_BUDGET",
    "UNMEASURED_BUDGET",
    "VisualChunkProfile",
    "choose_budget",
    "legible_budget",
    "native_resolution_budget",
    "rendered_scale",
]

MIN_EM_PX = 12.0
"""Smallest em (font size), in pixels at the target size, that counts as legible."""
MIN_X_HEIGHT_PX = MIN_EM_PX / 2 + 1
"""The rule for text measured in pixels (its lowercase glyphs give the x-height): half the em,
plus a pixel for the blur a scan or a camera already put into its glyphs."""
MAX_CHARS_PER_TOKEN = 16
"""A 48 px token cell holds about 4 lines of 8 characters at the legibility limit; a page
packing more than 16 per token (tight tables, tiny print) gets more tokens."""
EMPTY_BUDGET: VisualBudget = VISUAL_BUDGETS[0]
PHOTO_BUDGET: VisualBudget = 280
UNMEASURED_BUDGET: VisualBudget = 560


@dataclass(frozen=True)
class VisualChunkProfile:
    """What the policy knows about one visual chunk.

    `width`/`height` are the displayed size: PDF points for pages, pixels otherwise, and
    `min_text_height` is in the same units. `text_chars`/`min_font_pt` come from a page's text
    layer; `text_area_share`/`min_text_height` from measuring the pixels (`text_area_share`
    None: not measured; `min_text_height` None: no text found).
    """

    kind: ChunkKind
    width: float
    height: float
    text_chars: int | None = None
    min_font_pt: float | None = None
    text_area_share: float | None = None
    min_text_height: float | None = None
    override: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in VISUAL_KINDS:
            raise ValueError(f"{self.kind} chunks have no visual budget")
        if not (self.width > 0 and self.height > 0):
            raise ValueError(f"size must be positive, got {self.width}x{self.height}")
        if self.text_chars is not None and self.text_chars < 0:
            raise ValueError("text_chars must not be negative")
        for name in ("min_font_pt", "min_text_height"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive")
        if self.text_area_share is not None and not 0 <= self.text_area_share <= 1:
            raise ValueError("text_area_share must be in 0..1")
        if self.override is not None and not is_visual_budget(self.override):
            raise ValueError(f"override must be one of {VISUAL_BUDGETS}, got {self.override!r}")


def choose_budget(profile: VisualChunkProfile) -> VisualBudget:
    """The visual token budget for one chunk (see the module docstring for the policy)."""
    if profile.override is not None and is_visual_budget(profile.override):
        return profile.override
    wanted = _wanted_budget(profile)
    if profile.kind is ChunkKind.PDF_PAGE:
        return wanted
    return min(wanted, native_resolution_budget(profile.width, profile.height))


def rendered_scale(width: float, height: float, budget: VisualBudget) -> float:
    """Pixels per source unit after Gemma 4's resize to `budget` (geometric mean of x and y)."""
    target_w, target_h = target_size(width, height, budget)
    return math.sqrt(target_w * target_h / (width * height))


def legible_budget(width: float, height: float, size: float, min_px: float) -> VisualBudget:
    """Smallest budget at which text `size` units high renders at least `min_px` px high."""
    return next(
        (b for b in VISUAL_BUDGETS if size * rendered_scale(width, height, b) >= min_px),
        VISUAL_BUDGETS[-1],
    )


def native_resolution_budget(width_px: float, height_px: float) -> VisualBudget:
    """Smallest budget whose target area covers a width x height pixel image (1120 at most)."""
    area_tokens = width_px * height_px / TOKEN_PX**2
    return next((b for b in VISUAL_BUDGETS if b >= area_tokens), VISUAL_BUDGETS[-1])


def _wanted_budget(profile: VisualChunkProfile) -> VisualBudget:
    if profile.kind is ChunkKind.PDF_PAGE and profile.text_chars:
        return _text_layer_budget(profile, profile.text_chars)
    if profile.text_area_share is None:
        return UNMEASURED_BUDGET
    if profile.min_text_height is None:
        return PHOTO_BUDGET if profile.kind is ChunkKind.IMAGE else EMPTY_BUDGET
    return legible_budget(profile.width, profile.height, profile.min_text_height, MIN_X_HEIGHT_PX)


def _text_layer_budget(profile: VisualChunkProfile, chars: int) -> VisualBudget:
    if profile.min_font_pt is None:
        return UNMEASURED_BUDGET
    by_font = legible_budget(profile.width, profile.height, profile.min_font_pt, MIN_EM_PX)
    by_chars = next(
        (b for b in VISUAL_BUDGETS if b * MAX_CHARS_PER_TOKEN >= chars), VISUAL_BUDGETS[-1]
    )
    return max(by_font, by_chars)
