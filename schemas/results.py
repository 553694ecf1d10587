"""Document-level results: one per finished document, assembled from its jobs' extractions.

A paged document (PDF, image) gets `document_pages`, an audio file a `transcript`, a video a
`video_timeline`; each carries its whole content as Markdown next to its plain text.
"""

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field

from schemas.blocks import Block
from schemas.timeline import VIDEO_TIMELINE, VideoTimelineData
from schemas.transcript import TRANSCRIPT, TranscriptData

__all__ = [
    "DOCUMENT_PAGES",
    "RESULT_KINDS",
    "TRANSCRIPT",
    "VIDEO_TIMELINE",
    "DocumentPagesData",
    "DocumentResultOut",
    "FailedSpan",
    "PageSummary",
    "TranscriptResultData",
    "VideoTimelineResultData",
]

DOCUMENT_PAGES: Final = "document_pages"
RESULT_KINDS: Final = (DOCUMENT_PAGES, TRANSCRIPT, VIDEO_TIMELINE)


class PageSummary(BaseModel):
    """One page of a document result: its content, or why it has none."""

    page_number: int = Field(ge=1)
    status: Literal["succeeded", "failed", "waiting", "queued", "running"]
    kind: str | None = Field(
        default=None,
        description="The chunk kind when it is not a page: section, slide, sheet, or image"
        " (a picture embedded in an office file, with its `part`); None for PDF pages and"
        " image frames.",
    )
    part: str | None = Field(
        default=None, description="A sheet's name or an embedded picture's member name."
    )
    text: str | None = None
    markdown: str | None = Field(default=None, description="The page's body as Markdown.")
    blocks: list[Block] | None = Field(
        default=None, description="The page's typed blocks in reading order, furniture marked."
    )
    extraction_id: str | None = None
    error: dict[str, str] | None = None
    fields: dict[str, str] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Named values the unit states outside its body (an e-mail's From, To, Cc,"
        " Date, Subject); absent for pages.",
    )


class DocumentPagesData(BaseModel):
    """The `data` of a paged document's result (PDFs, multi-page images)."""

    text: str = Field(description="Every page's text in page order, pages separated by form feeds.")
    markdown: str = Field(
        default="",
        description=(
            "The document as Markdown: each page opens with `<!-- page N -->` (a slide with "
            "`<!-- slide N -->`, a sheet with `<!-- sheet N: name -->`, an embedded picture's "
            "text with `<!-- image member -->`; sections join unmarked); a page without "
            "content is a quoted gap naming its status and error category."
        ),
    )
    page_count: int = Field(ge=0)
    failed_pages: list[int]
    pages: list[PageSummary]


class FailedSpan(BaseModel):
    """A stretch of audio or a video frame whose job failed: kept so no gap goes unnoticed."""

    seq: int = Field(ge=0)
    start: float | None = Field(default=None, description="Seconds from the start of the media.")
    category: str | None = None
    message: str | None = None


class TranscriptResultData(TranscriptData):
    """The `data` of an audio document's result: the transcript, its Markdown and its gaps."""

    markdown: str = Field(
        default="", description="Timestamped paragraphs `**[HH:MM:SS]** text`, speakers named."
    )
    failed_segments: list[FailedSpan] = Field(default_factory=list)


class VideoTimelineResultData(VideoTimelineData):
    """The `data` of a video's result: the timeline, its Markdown and its gaps."""

    markdown: str = Field(
        default="",
        description="A `## [HH:MM:SS] Keyframe` section per frame, speech as timestamped lines.",
    )
    failed_frames: list[FailedSpan] = Field(default_factory=list)
    failed_segments: list[FailedSpan] = Field(default_factory=list)


class DocumentResultOut(BaseModel):
    """A document's assembled result as the API shows it."""

    document_id: str
    kind: str
    data: dict[str, Any]
    created_at: datetime
    generation: int = Field(
        default=1, ge=1, description="1, then one more for every reprocess of the document."
    )
