"""A document's stored result in the format a reader asks for: JSON, Markdown, HTML or text.

The API's `GET /v1/documents/{id}/result?format=` and `greenhouse show --format` both come
here, so they print the same bytes. Markdown and HTML of a paged document are made from the
stored per-page blocks (HTML is not converted from Markdown); `include_furniture` puts running
headers, footers, page numbers and footnotes back in.
"""

import re
from enum import StrEnum
from typing import Any, Final

from schemas.rendering.media import (
    timeline_html,
    timeline_markdown,
    transcript_html,
    transcript_markdown,
)
from schemas.rendering.pages import pages_html, pages_markdown, pages_text
from schemas.rendering.standalone import html_document
from schemas.results import (
    DOCUMENT_PAGES,
    TRANSCRIPT,
    VIDEO_TIMELINE,
    DocumentPagesData,
    TranscriptResultData,
    VideoTimelineResultData,
)

__all__ = ["MEDIA_TYPES", "ResultFormat", "UnknownResultKindError", "render_result"]


class ResultFormat(StrEnum):
    """The forms a document result is served in."""

    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    TEXT = "text"


MEDIA_TYPES: Final = {
    ResultFormat.JSON: "application/json",
    ResultFormat.MARKDOWN: "text/markdown; charset=utf-8",
    ResultFormat.HTML: "text/html; charset=utf-8",
    ResultFormat.TEXT: "text/plain; charset=utf-8",
}


_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
"""A BCP 47 tag for `<html lang>`; a transcript of several languages ('de+en') gets none."""


class UnknownResultKindError(ValueError):
    """The result is of a kind with no Markdown, HTML or text form."""


def render_result(
    kind: str,
    data: dict[str, Any],
    result_format: ResultFormat,
    *,
    title: str,
    include_furniture: bool = False,
) -> str:
    """The result as Markdown, HTML (a standalone page titled `title`) or text, newline-ended."""
    if result_format == ResultFormat.JSON:
        raise ValueError("JSON is the stored result itself, not a rendering")
    if kind == DOCUMENT_PAGES:
        rendered = _pages(DocumentPagesData.model_validate(data), result_format, include_furniture)
    elif kind == TRANSCRIPT:
        rendered = _transcript(TranscriptResultData.model_validate(data), result_format)
    elif kind == VIDEO_TIMELINE:
        rendered = _timeline(
            VideoTimelineResultData.model_validate(data), result_format, include_furniture
        )
    else:
        raise UnknownResultKindError(f"a {kind!r} result has no {result_format.value} form")
    if result_format == ResultFormat.HTML:
        language = str(data.get("language", "")) if kind == TRANSCRIPT else ""
        rendered = html_document(
            title, rendered, language if _LANGUAGE_TAG.match(language) else None
        )
    return rendered + "\n"


def _pages(data: DocumentPagesData, result_format: ResultFormat, include_furniture: bool) -> str:
    if result_format == ResultFormat.MARKDOWN:
        return pages_markdown(data.pages, include_furniture)
    if result_format == ResultFormat.HTML:
        return pages_html(data.pages, include_furniture)
    return pages_text(data.pages, include_furniture)


def _transcript(data: TranscriptResultData, result_format: ResultFormat) -> str:
    if result_format == ResultFormat.MARKDOWN:
        return transcript_markdown(data.segments, data.failed_segments)
    if result_format == ResultFormat.HTML:
        return transcript_html(data.segments, data.failed_segments)
    return data.text


def _timeline(
    data: VideoTimelineResultData, result_format: ResultFormat, include_furniture: bool
) -> str:
    if result_format == ResultFormat.MARKDOWN:
        return timeline_markdown(
            data.items, data.failed_frames, data.failed_segments, include_furniture
        )
    if result_format == ResultFormat.HTML:
        return timeline_html(
            data.items, data.failed_frames, data.failed_segments, include_furniture
        )
    return data.text
