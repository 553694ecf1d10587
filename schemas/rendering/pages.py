"""A paged document (PDF, image) as one Markdown, HTML or text document, page by page.

Markdown opens every page with `<!-- page N -->`; a page without content (failed, or never
run) becomes a quoted gap, `> **Page N: no content** (failed: category)`, so nothing is lost
silently. HTML gives each page a `<section data-page="N">`. Text joins the pages' body texts
with form feeds, a failed page empty in its place.
"""

from collections.abc import Sequence
from html import escape

from schemas.blocks import Block, BlockKind
from schemas.rendering.html import render_html
from schemas.rendering.markdown import render_markdown
from schemas.rendering.text import render_text
from schemas.results import PageSummary

__all__ = [
    "PAGE_SEPARATOR",
    "content_blocks",
    "page_gap",
    "page_marker",
    "pages_html",
    "pages_markdown",
    "pages_text",
]

PAGE_SEPARATOR = "\n\f\n"
_SUCCEEDED = "succeeded"
_NO_BOX = (0.0, 0.0, 0.0, 0.0)


def content_blocks(blocks: Sequence[Block] | None, text: str | None) -> list[Block]:
    """The blocks; content stored before blocks existed gives its text as one paragraph."""
    if blocks is not None:
        return list(blocks)
    if text and text.strip():
        return [Block(index=0, kind=BlockKind.PARAGRAPH, text=text, bbox=_NO_BOX)]
    return []


def page_marker(page_number: int) -> str:
    """The Markdown comment that opens a page."""
    return f"<!-- page {page_number} -->"


def page_gap(page: PageSummary) -> str:
    """Why a page has no content, e.g. `failed: ocr_error` or `waiting`."""
    category = (page.error or {}).get("category")
    return f"{page.status}: {category}" if category else page.status


def pages_markdown(pages: Sequence[PageSummary], include_furniture: bool = False) -> str:
    """The pages as one Markdown document, each behind its page marker."""
    parts: list[str] = []
    for page in pages:
        parts.append(page_marker(page.page_number))
        if page.status != _SUCCEEDED:
            parts.append(f"> **Page {page.page_number}: no content** ({page_gap(page)})")
            continue
        body = render_markdown(content_blocks(page.blocks, page.text), include_furniture)
        if body:
            parts.append(body)
    return "\n\n".join(parts)


def pages_html(pages: Sequence[PageSummary], include_furniture: bool = False) -> str:
    """The pages as HTML sections (`<section data-page="N">`), built from their blocks."""
    sections: list[str] = []
    for page in pages:
        number = page.page_number
        if page.status != _SUCCEEDED:
            reason = escape(page_gap(page))
            sections.append(
                f'<section data-page="{number}" data-status="{escape(page.status)}">\n'
                f'<p class="gap">Page {number}: no content ({reason})</p>\n</section>'
            )
            continue
        body = render_html(content_blocks(page.blocks, page.text), include_furniture)
        inner = f"\n{body}\n" if body else ""
        sections.append(f'<section data-page="{number}">{inner}</section>')
    return "\n".join(sections)


def pages_text(pages: Sequence[PageSummary], include_furniture: bool = False) -> str:
    """The pages' body texts separated by form feeds; a page without content is empty."""
    return PAGE_SEPARATOR.join(
        render_text(content_blocks(page.blocks, page.text), include_furniture)
        if page.status == _SUCCEEDED
        else ""
        for page in pages
    )
