"""Choosing a visual token budget for one page, image or video frame: a pure policy.

The request override always wins. Otherwise, by kind:

| kind | signal | budget |
|---|---|---|
| pdf_page | no text layer, or an empty one (a scan) | 560 |
| pdf_page | text layer, chars per square inch < 1 / < 6 / < 20 / more | 140 / 280 / 560 / 1120 |
| pdf_page | median font too small to be legible at that budget | raised until it is |
| image | document scan, or >= 200 recognised chars / >= 1500 chars | 560 / 1120 |
| image | anything else (photos) | 280, the processor's default |
| video_frame | < 20 recognised chars / < 200 / more | 70 / 140 / 280 |

Legible means the median font's em height reaches `MIN_GLYPH_PX` pixels at the render scale
of the budget. Images and frames have no resolution beyond their pixels, so their budget is
capped at the smallest one whose target area covers the source (no paying for upscaling).
"""

import math
from dataclasses import dataclass

from pipeline.planning.geometry import TOKEN_PX
from schemas.budget import VISUAL_BUDGETS, VisualBudget, is_visual_budget
from schemas.enums import ChunkKind
from schemas.media import VISUAL_KINDS

__all__ = [
    "DENSE_IMAGE_BUDGET",
    "DENSE_IMAGE_TEXT_CHARS",
    "DENSE_PAGE_BUDGET",
    "DOCUMENT_IMAGE_BUDGET",
    "FRAME_TEXT_STEPS",
    "IMAGE_TEXT_CHARS",
    "MAX_FRAME_BUDGET",
    "MIN_GLYPH_PX",
    "PAGE_DENSITY_STEPS",
    "PHOTO_BUDGET",
    "POINTS_PER_INCH",
    "SCAN_BUDGET",
    "VisualChunkProfile",
    "choose_budget",
    "legible_budget",
    "native_resolution_budget",
]

POINTS_PER_INCH = 72.0
SCAN_BUDGET: VisualBudget = 560
PHOTO_BUDGET: VisualBudget = 280
DOCUMENT_IMAGE_BUDGET: VisualBudget = 560
DENSE_IMAGE_BUDGET: VisualBudget = 1120
MIN_GLYPH_PX = 12.0
"""Smallest em height, in rendered pixels, at which the median font counts as legible."""

PAGE_DENSITY_STEPS: tuple[tuple[float, VisualBudget], ...] = ((1.0, 140), (6.0, 280), (20.0, 560))
"""(chars per square inch below which, budget) for pages with a text layer; else the next."""
DENSE_PAGE_BUDGET: VisualBudget = 1120
IMAGE_TEXT_CHARS = 200
DENSE_IMAGE_TEXT_CHARS = 1500
FRAME_TEXT_STEPS: tuple[tuple[int, VisualBudget], ...] = ((20, 70), (200, 140))
"""(recognised chars below which, budget) for video frames; else 280."""
MAX_FRAME_BUDGET: VisualBudget = 280


@dataclass(frozen=True)
class VisualChunkProfile:
    """What the policy knows about one visual chunk.

    `width`/`height` are the displayed size: PDF points for pages, pixels otherwise.
    `text_chars` counts the characters of the text layer (pages) or of a recognition pre-pass
    (images, frames); None means unknown. A page whose text layer is missing or empty is
    treated as a scan.
    """

    kind: ChunkKind
    width: float
    height: float
    text_chars: int | None = None
    median_font_pt: float | None = None
    is_document_scan: bool = False
    override: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in VISUAL_KINDS:
            raise ValueError(f"{self.kind} chunks have no visual budget")
        if not (self.width > 0 and self.height > 0):
            raise ValueError(f"size must be positive, got {self.width}x{self.height}")
        if self.text_chars is not None and self.text_chars < 0:
            raise ValueError("text_chars must not be negative")
        if self.median_font_pt is not None and not self.median_font_pt > 0:
            raise ValueError("median_font_pt must be positive")
        if self.override is not None and not is_visual_budget(self.override):
            raise ValueError(f"override must be one of {VISUAL_BUDGETS}, got {self.override!r}")


def choose_budget(profile: VisualChunkProfile) -> VisualBudget:
    """The visual token budget for one chunk (see the module docstring for the policy)."""
    if profile.override is not None and is_visual_budget(profile.override):
        return profile.override
    if profile.kind is ChunkKind.PDF_PAGE:
        return _page_budget(profile)
    if profile.kind is ChunkKind.IMAGE:
        wanted = _image_budget(profile)
    else:
        wanted = _frame_budget(profile.text_chars or 0)
    return min(wanted, native_resolution_budget(profile.width, profile.height))


def native_resolution_budget(width_px: float, height_px: float) -> VisualBudget:
    """Smallest budget whose target area covers a width x height pixel image (1120 at most)."""
    area_tokens = width_px * height_px / TOKEN_PX**2
    return next((b for b in VISUAL_BUDGETS if b >= area_tokens), VISUAL_BUDGETS[-1])


def legible_budget(width_pt: float, height_pt: float, font_pt: float) -> VisualBudget:
    """Smallest budget at which `font_pt` text on a page renders at least MIN_GLYPH_PX high."""
    for budget in VISUAL_BUDGETS:
        px_per_pt = math.sqrt(budget * TOKEN_PX**2 / (width_pt * height_pt))
        if font_pt * px_per_pt >= MIN_GLYPH_PX:
            return budget
    return VISUAL_BUDGETS[-1]


def _page_budget(profile: VisualChunkProfile) -> VisualBudget:
    if not profile.text_chars:
        return SCAN_BUDGET
    square_inches = profile.width * profile.height / POINTS_PER_INCH**2
    density = profile.text_chars / square_inches
    by_density = next((b for limit, b in PAGE_DENSITY_STEPS if density < limit), DENSE_PAGE_BUDGET)
    if profile.median_font_pt is None:
        return by_density
    by_font = legible_budget(profile.width, profile.height, profile.median_font_pt)
    return max(by_density, by_font)


def _image_budget(profile: VisualChunkProfile) -> VisualBudget:
    chars = profile.text_chars or 0
    if chars >= DENSE_IMAGE_TEXT_CHARS:
        return DENSE_IMAGE_BUDGET
    if profile.is_document_scan or chars >= IMAGE_TEXT_CHARS:
        return DOCUMENT_IMAGE_BUDGET
    return PHOTO_BUDGET


def _frame_budget(chars: int) -> VisualBudget:
    return next((b for limit, b in FRAME_TEXT_STEPS if chars < limit), MAX_FRAME_BUDGET)
