"""A paged document (PDF, image) as one Markdown, HTML or text document, page by page.

Markdown opens every page with `<!-- page N -->`; a page without content (failed, or never
run) becomes a quoted gap, `> **Page N: no content** (failed: category)`, so nothing is lost
silently. HTML gives each page a `<section data-page="N">`. Text joins the pages' body texts
with form feeds, a failed page empty in its place.

Office documents are paged by their own units: a slide opens with `<!-- slide N -->`, a
sheet with `<!-- sheet N: name -->` (its further row ranges continue without a marker), the
sections of a flowing document join without a marker, and a picture embedded in the file
follows the unit that shows it as `<!-- image word/media/image1.png -->` and its text (none
when the picture has no text). Their gaps name the unit (`> **Slide 3: no content** …`); their
HTML sections carry `data-kind` and `data-part`.
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
    "unit_label",
    "unit_marker",
]

PAGE_SEPARATOR = "\n\f\n"
_SUCCEEDED = "succeeded"
_SECTION, _SLIDE, _SHEET, _IMAGE = "section", "slide", "sheet", "image"
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
    """The pages as one Markdown document, each behind its page (slide, sheet…) marker."""
    parts: list[str] = []
    previous: PageSummary | None = None
    for page in pages:
        marker = unit_marker(page, previous)
        previous = page
        if page.status != _SUCCEEDED:
            parts.extend([marker] if marker else [])
            parts.append(f"> **{unit_label(page)}: no content** ({page_gap(page)})")
            continue
        body = render_markdown(content_blocks(page.blocks, page.text), include_furniture)
        if page.kind == _IMAGE and page.part is not None and not body:
            continue
        if marker:
            parts.append(marker)
        if body:
            parts.append(body)
    return "\n\n".join(parts)


def unit_marker(page: PageSummary, previous: PageSummary | None = None) -> str | None:
    """The comment that opens a page, slide, sheet or embedded picture; None for a section
    and for a sheet's further row ranges."""
    number = page.page_number
    if page.kind == _SLIDE:
        return f"<!-- slide {number} -->"
    if page.kind == _SHEET:
        if previous is not None and previous.kind == _SHEET and previous.part == page.part:
            return None
        return f"<!-- sheet {number}: {_comment_safe(page.part or '')} -->"
    if page.kind == _SECTION:
        return None
    if page.kind == _IMAGE and page.part is not None:
        return f"<!-- image {_comment_safe(page.part)} -->"
    return page_marker(number)


def unit_label(page: PageSummary) -> str:
    """`Page 3`, `Slide 3`, `Sheet 2`, `Section 1` or `Image word/media/image1.png`."""
    if page.kind == _IMAGE and page.part is not None:
        return f"Image {page.part}"
    noun = {_SLIDE: "Slide", _SHEET: "Sheet", _SECTION: "Section"}.get(page.kind or "", "Page")
    return f"{noun} {page.page_number}"


def _comment_safe(text: str) -> str:
    """Text inside an HTML comment: one line, no `--` (which could close it)."""
    return " ".join(text.split()).replace("--", "- -").replace(">", "&gt;")


def pages_html(pages: Sequence[PageSummary], include_furniture: bool = False) -> str:
    """The pages as HTML sections (`<section data-page="N">`), built from their blocks."""
    sections: list[str] = []
    for page in pages:
        number = page.page_number
        located = _html_location(page)
        if page.status != _SUCCEEDED:
            reason = escape(page_gap(page))
            sections.append(
                f'<section data-page="{number}"{located} data-status="{escape(page.status)}">\n'
                f'<p class="gap">{escape(unit_label(page))}: no content ({reason})</p>\n</section>'
            )
            continue
        body = render_html(content_blocks(page.blocks, page.text), include_furniture)
        inner = f"\n{body}\n" if body else ""
        sections.append(f'<section data-page="{number}"{located}>{inner}</section>')
    return "\n".join(sections)


def _html_location(page: PageSummary) -> str:
    kind = f' data-kind="{escape(page.kind)}"' if page.kind else ""
    part = f' data-part="{escape(page.part)}"' if page.part else ""
    return kind + part


def pages_text(pages: Sequence[PageSummary], include_furniture: bool = False) -> str:
    """The pages' body texts separated by form feeds; a page without content is empty."""
    return PAGE_SEPARATOR.join(
        render_text(content_blocks(page.blocks, page.text), include_furniture)
        if page.status == _SUCCEEDED
        else ""
        for page in pages
    )
