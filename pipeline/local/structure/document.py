"""The document-level reads a page needs, made at extraction time from the open document and
kept in its memo: the font statistics (a fixed sample of pages) and the header/footer bands of
neighbouring pages (i±1, i±2). A sample page's text extraction is kept until the page's own
read takes it, so no page's text is extracted twice. No ledger state: every job has the file,
so a page comes out the same embedded or distributed, whichever pages the process read
before."""

from collections.abc import Callable
from dataclasses import replace

import pymupdf

from pipeline.errors import PdfError
from pipeline.local.structure.fonts import (
    FontStats,
    PageFonts,
    font_stats,
    page_fonts,
    sample_pages,
)
from pipeline.local.structure.furniture import NEIGHBOUR_OFFSETS, BandBlock, band_blocks
from pipeline.local.structure.lines import read_lines
from pipeline.local.structure.memo import document_memo
from pipeline.local.structure.outline import outline_levels
from pipeline.local.structure.page_text import TEXT_FLAGS, PageText, read_page_text
from pipeline.sources.mupdf import mupdf_errors
from schemas.enums import ErrorCategory

__all__ = [
    "breaks_words_at_line_ends",
    "document_font_stats",
    "neighbour_bands",
    "page_bands",
    "page_outline",
    "remember_fonts",
    "take_sampled_read",
]

_STATS_KEY = "font-stats"
_HYPHENATION_KEY = "breaks-words"
_OUTLINE_KEY = "outline"
_TYPESETTERS = ("tex", "indesign", "quark", "framemaker", "scribus")
_WORD_PROCESSORS = ("word", "office", "writer", "google", "quartz", "pages")


def breaks_words_at_line_ends(document: pymupdf.Document) -> bool:
    """Does the document's producer hyphenate words at line ends? Typesetters (TeX,
    InDesign, ...) do; word processors (Word, LibreOffice, Google Docs, macOS printing) do not,
    so their line-end hyphens are real (`performance-` + `enhancing`). Unknown: yes."""
    return document_memo(document).get(_HYPHENATION_KEY, lambda: _typeset(document.metadata))


def _typeset(metadata: dict[str, str] | None) -> bool:
    made_by = f"{(metadata or {}).get('creator') or ''} {(metadata or {}).get('producer') or ''}"
    if any(name in made_by.lower() for name in _TYPESETTERS):
        return True
    return not any(name in made_by.lower() for name in _WORD_PROCESSORS)


def document_font_stats(document: pymupdf.Document) -> FontStats:
    """The document's font statistics, from its sample pages (read once per open document)."""
    return document_memo(document).get(_STATS_KEY, lambda: _sample_stats(document))


def page_bands(
    document: pymupdf.Document, page_index: int, read: Callable[[], tuple[BandBlock, ...]]
) -> tuple[BandBlock, ...]:
    """A page's bands: those a neighbour's or the font sample's read kept (the same
    extraction), else `read()`, kept for the neighbours. None kept (a read that failed) is
    read again."""
    bands = document_memo(document).get(("bands", page_index), read)
    return bands if bands else read()


def page_outline(document: pymupdf.Document, page_index: int) -> dict[str, int]:
    """The outline's headings that point at this page: heading key → level (read once)."""
    outline = document_memo(document).get(_OUTLINE_KEY, lambda: _read_outline(document))
    return outline.get(page_index, {})


def _read_outline(document: pymupdf.Document) -> dict[int, dict[str, int]]:
    try:
        with mupdf_errors(ErrorCategory.PAGE_ERROR, "the outline cannot be read"):
            return outline_levels(document.get_toc(simple=True))
    except PdfError:
        # A broken outline only means no levels from it; the pages read without it.
        return {}


def remember_fonts(document: pymupdf.Document, page_index: int, fonts: PageFonts) -> None:
    """Keep a page's font profile, from its own extraction, for the statistics' sample."""
    document_memo(document).put(("fonts", page_index), fonts)


def take_sampled_read(document: pymupdf.Document, page_index: int) -> PageText | None:
    """The page's text extraction, with its lines, when the font sample read it before the
    page's own read (handed over once, then no longer kept), else None."""
    read: PageText | None = document_memo(document).take(("read", page_index))
    return read


def neighbour_bands(document: pymupdf.Document, page_index: int) -> list[tuple[BandBlock, ...]]:
    """The band blocks of the pages around `page_index` (read once per open document)."""
    memo = document_memo(document)
    found: list[tuple[BandBlock, ...]] = []
    for offset in NEIGHBOUR_OFFSETS:
        other = page_index + offset
        if 0 <= other < document.page_count:
            found.append(memo.get(("bands", other), _band_reader(document, other)))
    return found


def _band_reader(
    document: pymupdf.Document, page_index: int
) -> Callable[[], tuple[BandBlock, ...]]:
    def read() -> tuple[BandBlock, ...]:
        try:
            with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"):
                page = document.load_page(page_index)
                textpage = page.get_textpage(flags=TEXT_FLAGS)
                return band_blocks(textpage.extractBLOCKS(), _text_height(page))
        except PdfError:
            # A neighbour that cannot be read only gives no evidence; its own job reports it.
            return ()

    return read


def _text_height(page: pymupdf.Page) -> float:
    """The page's height in its text's (unrotated) coordinates."""
    return float((page.rect * page.derotation_matrix).height)


def _sample_stats(document: pymupdf.Document) -> FontStats:
    memo = document_memo(document)
    profiles = [
        memo.get(("fonts", index), _fonts_reader(document, index))
        for index in sample_pages(document.page_count)
    ]
    return font_stats([profile for profile in profiles if profile is not None], document.page_count)


def _fonts_reader(document: pymupdf.Document, page_index: int) -> Callable[[], PageFonts | None]:
    def read() -> PageFonts | None:
        try:
            sampled = read_page_text(document, page_index)
            with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"):
                lines = read_lines(sampled.page_dict, sampled.textpage.extractRAWDICT)
                bands = band_blocks(sampled.textpage.extractBLOCKS(), _text_height(sampled.page))
        except PdfError:
            # A sample page that cannot be read is left out of the statistics; its own job
            # reports the failure.
            return None
        memo = document_memo(document)
        memo.put(("bands", page_index), bands)
        if lines:  # an empty page is read again, for its own checks
            memo.put(("read", page_index), replace(sampled, lines=lines))
        height = _text_height(sampled.page)
        return page_fonts(page_index, lines, height, {block.number for block in bands})

    return read
