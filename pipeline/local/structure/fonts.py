"""The document's font statistics: its body size and the sizes its headings use, learnt from a
small fixed sample of pages so every page of a document ranks headings the same way."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from pipeline.local.structure.lines import TextLine
from pipeline.local.structure.numbering import is_numbered, numbering_depth

__all__ = [
    "FRONT_MATTER_PAGES",
    "MAX_SAMPLE_PAGES",
    "FontStats",
    "PageFonts",
    "font_stats",
    "page_fonts",
    "sample_pages",
]

MAX_SAMPLE_PAGES = 24
HEADING_RATIO = 1.15
"""A line at least this much larger than the body text (and 1 pt larger) may be a heading."""
HEADING_MIN_STEP = 1.0
SIZE_TOLERANCE = 0.6
"""Sizes closer than this (pt) are one size."""
MAX_TIERS = 5
MIN_TIER_USES = 2
MIN_TIER_USES_PAGES = 3
FRONT_MATTER_PAGES = 3
"""A size is a heading tier when the sample uses it twice, or once past the first three pages
(or once in a sample of fewer pages): a cover's display sizes do not push every heading
down a level."""
SHORT_BLOCK_CHARS = 160
SHORT_BLOCK_LINES = 3


@dataclass(frozen=True)
class PageFonts:
    """One sampled page: characters per font size, and the sizes of its short blocks."""

    page_index: int
    chars: Counter[float]
    short_blocks: tuple[tuple[float, float], ...]
    """(size, vertical centre as a share of the page height) of each short block."""
    bold_blocks: tuple[tuple[float, int], ...] = ()
    """(size, numbering depth; 0 when unnumbered) of each short block set in bold."""


@dataclass(frozen=True)
class FontStats:
    """Body size and heading size tiers (largest first); the title's size when there is one."""

    body_size: float
    tiers: tuple[float, ...]
    title_size: float | None
    depth_floors: tuple[tuple[float, int], ...] = ()
    """Per size of bold short blocks, the smallest numbering depth the sample shows."""

    def depth_below_floor(self, size: float, depth: int) -> int:
        """How much deeper than its size's usual numbering a heading's numbering is
        (`2.1.1` among `2.1` headings of the same size: 1)."""
        for floor_size, floor in self.depth_floors:
            if abs(floor_size - size) <= SIZE_TOLERANCE:
                return max(0, depth - floor)
        return 0

    def is_heading_size(self, size: float) -> bool:
        return (
            self.body_size > 0
            and size >= self.body_size * HEADING_RATIO
            and size >= self.body_size + HEADING_MIN_STEP
        )

    @property
    def top_level(self) -> int:
        """The level of the largest section headers: 2 below a title, else 1."""
        return 2 if self.title_size is not None else 1

    def level_of(self, size: float) -> int:
        """The top level plus the number of heading tiers larger than `size`."""
        larger = [tier for tier in self.tiers if tier > size + SIZE_TOLERANCE]
        return self.top_level + sum(1 for tier in larger if not self.is_title_size(tier))

    @property
    def bold_body_level(self) -> int:
        """The level of a bold heading set in the body size: below every larger tier."""
        return self.top_level + sum(1 for tier in self.tiers if not self.is_title_size(tier))

    def is_title_size(self, size: float) -> bool:
        return self.title_size is not None and abs(size - self.title_size) <= SIZE_TOLERANCE


def sample_pages(page_count: int) -> list[int]:
    """The pages read for the statistics: the first three and the rest spread evenly over the
    document, every page of a short one (a heading size used on a single page counts)."""
    if page_count <= MAX_SAMPLE_PAGES:
        return list(range(page_count))
    spread = MAX_SAMPLE_PAGES - FRONT_MATTER_PAGES
    rest = page_count - FRONT_MATTER_PAGES
    return list(range(FRONT_MATTER_PAGES)) + [
        FRONT_MATTER_PAGES + (step * rest) // spread for step in range(spread)
    ]


def page_fonts(
    page_index: int, lines: Sequence[TextLine], page_height: float, skip_blocks: set[int]
) -> PageFonts:
    """The font profile of one page's horizontal lines outside the `skip_blocks` (those in
    the header and footer bands)."""
    chars: Counter[float] = Counter()
    short: list[tuple[float, float]] = []
    bold: list[tuple[float, int]] = []
    body_lines = [
        line for line in lines if line.horizontal and line.block_number not in skip_blocks
    ]
    for line in body_lines:
        chars[line.size] += line.chars
    for _number, group in groupby(body_lines, key=lambda line: line.block_number):
        block = list(group)
        size = dominant_size(block)
        length = sum(line.chars for line in block)
        if len(block) <= SHORT_BLOCK_LINES and length <= SHORT_BLOCK_CHARS:
            middle = (block[0].bbox[1] + block[-1].bbox[3]) / 2
            short.append((size, round(middle / max(page_height, 1.0), 3)))
            if all(line.bold for line in block):
                text = " ".join(line.text for line in block)
                bold.append((size, numbering_depth(text) if is_numbered(text) else 0))
    return PageFonts(page_index, chars, tuple(short), tuple(bold))


def dominant_size(lines: Iterable[TextLine]) -> float:
    """The size carrying most characters (the smaller one on a tie)."""
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += line.chars
    if not weights:
        return 0.0
    return max(weights, key=lambda size: (weights[size], -size))


def font_stats(pages: Sequence[PageFonts], page_count: int = 0) -> FontStats:
    """Body size, heading tiers and title size from the sampled pages of a document of
    `page_count` pages (0: unknown). The covers' display sizes (the first page, and the last
    of a document longer than the front matter) are tiers only when no other page gives any."""
    chars: Counter[float] = Counter()
    for page in pages:
        chars.update(page.chars)
    if not chars:
        return FontStats(body_size=0.0, tiers=(), title_size=None)
    body = max(chars, key=lambda size: (chars[size], -size))
    probe = FontStats(body_size=body, tiers=(), title_size=None)
    covers = {0, page_count - 1} if page_count > FRONT_MATTER_PAGES else {0}
    rest = [page for page in pages if page.page_index not in covers]
    tiers = _tiers(rest, probe, chars) or _tiers(pages, probe, chars)
    return FontStats(
        body_size=body,
        tiers=tuple(tiers),
        title_size=_title_size(pages, tiers, probe),
        depth_floors=_depth_floors(pages),
    )


def _depth_floors(pages: Sequence[PageFonts]) -> tuple[tuple[float, int], ...]:
    """Per size, the smallest depth of its numbered bold blocks (an unnumbered `Authors` does
    not make the `2.2` headings of its size look deeper than usual)."""
    floors: dict[float, int] = {}
    for page in pages:
        for size, depth in page.bold_blocks:
            if depth > 0:
                floors[size] = min(depth, floors.get(size, depth))
    return tuple(sorted(floors.items()))


def _tiers(pages: Sequence[PageFonts], probe: FontStats, chars: Counter[float]) -> list[float]:
    """Distinct heading sizes of the pages' short blocks, largest first."""
    uses: Counter[float] = Counter()
    body_pages: set[float] = set()
    for page in pages:
        for size, _middle in page.short_blocks:
            if probe.is_heading_size(size) and chars[size] <= chars[probe.body_size]:
                uses[size] += 1
                if page.page_index >= FRONT_MATTER_PAGES:
                    body_pages.add(size)
    least = MIN_TIER_USES if len(pages) >= MIN_TIER_USES_PAGES else 1
    candidates = sorted(
        (size for size, count in uses.items() if count >= least or size in body_pages),
        reverse=True,
    )
    tiers: list[float] = []
    for size in candidates:
        if not tiers or tiers[-1] - size > SIZE_TOLERANCE:
            tiers.append(size)
    return tiers[:MAX_TIERS]


def _title_size(
    pages: Sequence[PageFonts], tiers: Sequence[float], probe: FontStats
) -> float | None:
    """The first page's largest heading size is the title's when no tier is larger and the
    sample uses it once in the upper half of the first page, and elsewhere at most once on
    each other front-matter page (a title page repeating the cover's title)."""
    probe_sizes = [
        size
        for page in pages
        if page.page_index == 0
        for size, _middle in page.short_blocks
        if probe.is_heading_size(size)
    ]
    if not probe_sizes:
        return None
    top = max(probe_sizes)
    if tiers and top < tiers[0] - SIZE_TOLERANCE:
        return None
    uses = [
        (page.page_index, middle)
        for page in pages
        for size, middle in page.short_blocks
        if abs(size - top) <= SIZE_TOLERANCE
    ]
    on_pages = [index for index, _middle in uses]
    first_page = [middle for index, middle in uses if index == 0]
    repeated = len(set(on_pages)) < len(on_pages)
    if len(first_page) != 1 or first_page[0] >= 0.5 or repeated:
        return None
    return top if max(on_pages) < FRONT_MATTER_PAGES else None
