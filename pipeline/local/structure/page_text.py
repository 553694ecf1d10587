"""A page's one text extraction: the MuPDF text page and its "dict", read with the flags every
local step shares, and (once a step has built them) the page's lines."""

from dataclasses import dataclass
from typing import Any

import pymupdf

from pipeline.local.structure.lines import TextLine
from pipeline.sources.mupdf import mupdf_errors
from schemas.enums import ErrorCategory

__all__ = ["TEXT_FLAGS", "PageText", "read_page_text"]

TEXT_FLAGS = (
    pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_PRESERVE_LIGATURES
)
"""One text page per page read: ligatures kept for `cleanup` to expand (it also drops the
space some layers put after one), no MuPDF de-hyphenation (ours keeps compounds), images
left out."""


@dataclass(frozen=True)
class PageText:
    """One page read once: the page, its MuPDF text page, that text page's "dict", and its
    lines when the reader built them (the font sample does; a page's own read does not)."""

    page: pymupdf.Page
    textpage: pymupdf.TextPage
    page_dict: dict[str, Any]
    lines: list[TextLine] | None = None


def read_page_text(document: pymupdf.Document, page_index: int) -> PageText:
    """Load a page and extract its text page and "dict"; raise PdfError(PAGE_ERROR)."""
    with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"):
        page = document.load_page(page_index)
        textpage = page.get_textpage(flags=TEXT_FLAGS)
        return PageText(page, textpage, textpage.extractDICT())
