"""Assembling a finished document's result from its jobs, in order. Pure."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.assemble.timeline import build_timeline
from pipeline.assemble.transcript import DEFAULT_LANGUAGE, assemble_transcript
from schemas.blocks import Block
from schemas.enums import ChunkKind
from schemas.rendering.media import timeline_markdown, transcript_markdown
from schemas.rendering.pages import PAGE_SEPARATOR, pages_markdown
from schemas.results import (
    DOCUMENT_PAGES,
    DocumentPagesData,
    FailedSpan,
    PageSummary,
    TranscriptResultData,
    VideoTimelineResultData,
)
from schemas.timeline import TimelineFrame
from schemas.transcript import TranscriptData, TranscriptSegment

__all__ = [
    "PAGE_SEPARATOR",
    "AssembledResult",
    "JobSnapshot",
    "assemble_document",
    "assemble_pages",
    "assemble_timeline",
    "assemble_transcript_result",
]


@dataclass(frozen=True)
class JobSnapshot:
    """What assembly needs to know of one job and its extraction (if it succeeded)."""

    seq: int
    state: str
    kind: str
    start_seconds: float | None
    page_number: int | None
    extraction_id: str | None
    extraction_kind: str | None
    data: dict[str, Any] | None
    error_category: str | None
    error_message: str | None
    part: str | None = None
    """Where the chunk sits in its file: a sheet's name, an embedded picture's member."""


@dataclass(frozen=True)
class AssembledResult:
    """The document-level extraction to store."""

    kind: str
    data: dict[str, Any]


def assemble_document(media_type: str | None, jobs: Sequence[JobSnapshot]) -> AssembledResult:
    """The result kind follows the media: pages, a transcript, or a video timeline."""
    kinds = {job.kind for job in jobs}
    is_video = (media_type or "").startswith("video/") or ChunkKind.VIDEO_FRAME in kinds
    if is_video:
        return assemble_timeline(jobs)
    if (media_type or "").startswith("audio/") or kinds == {ChunkKind.SPEECH_SEGMENT}:
        return assemble_transcript_result(jobs)
    return assemble_pages(jobs)


def assemble_transcript_result(jobs: Sequence[JobSnapshot]) -> AssembledResult:
    """Every segment's transcript in time order, words repeated at the seams removed, with
    its Markdown (timestamped paragraphs) and the failed segments as gaps."""
    transcript = assemble_transcript(
        _speech_segments(jobs),
        engine_name=_speech_engine(jobs),
        language=_speech_language(jobs),
    )
    failed = _failed(jobs, ChunkKind.SPEECH_SEGMENT)
    data = TranscriptResultData(
        **transcript.data.model_dump(),
        markdown=transcript_markdown(transcript.data.segments, failed),
        failed_segments=failed,
    )
    return AssembledResult(kind=transcript.kind, data=data.model_dump(mode="json"))


def assemble_timeline(jobs: Sequence[JobSnapshot]) -> AssembledResult:
    """Keyframes (with their blocks) and speech merged in time order, with the timeline's
    Markdown and the failed frames and segments as gaps."""
    frames = [
        _timeline_frame(job.start_seconds or 0.0, job.data)
        for job in jobs
        if job.kind == ChunkKind.VIDEO_FRAME and job.data is not None
    ]
    speech = assemble_transcript(
        _speech_segments(jobs), engine_name=_speech_engine(jobs)
    ).data.segments
    timeline = build_timeline(frames, speech)
    failed_frames = _failed(jobs, ChunkKind.VIDEO_FRAME)
    failed_segments = _failed(jobs, ChunkKind.SPEECH_SEGMENT)
    data = VideoTimelineResultData(
        text=timeline.data.text,
        items=timeline.data.items,
        duration=timeline.data.duration,
        markdown=timeline_markdown(timeline.data.items, failed_frames, failed_segments),
        failed_frames=failed_frames,
        failed_segments=failed_segments,
    )
    return AssembledResult(kind=timeline.kind, data=data.model_dump(mode="json"))


def _timeline_frame(timestamp: float, data: dict[str, Any]) -> TimelineFrame:
    return TimelineFrame(
        timestamp=timestamp,
        text=str(data.get("text", "")),
        markdown=str(data.get("markdown", "")),
        blocks=_blocks(data) or [],
    )


def _blocks(data: dict[str, Any]) -> list[Block] | None:
    """A page extraction's blocks; None for one stored before pages had blocks."""
    raw = data.get("blocks")
    if not isinstance(raw, list):
        return None
    return [Block.model_validate(block) for block in raw]


def _speech_segments(jobs: Sequence[JobSnapshot]) -> list[TranscriptSegment]:
    segments: list[TranscriptSegment] = []
    for job in jobs:
        if job.kind == ChunkKind.SPEECH_SEGMENT and job.data is not None:
            segments.extend(TranscriptData.model_validate(job.data).segments)
    return segments


def _speech_engine(jobs: Sequence[JobSnapshot]) -> str:
    engines = {
        str(job.data.get("engine"))
        for job in jobs
        if job.kind == ChunkKind.SPEECH_SEGMENT and job.data is not None
    }
    return "+".join(sorted(engines)) or "none"


def _speech_language(jobs: Sequence[JobSnapshot]) -> str:
    languages = {
        str(job.data.get("language"))
        for job in jobs
        if job.kind == ChunkKind.SPEECH_SEGMENT and job.data and job.data.get("language")
    }
    return "+".join(sorted(languages)) or DEFAULT_LANGUAGE


def _failed(jobs: Sequence[JobSnapshot], kind: ChunkKind) -> list[FailedSpan]:
    return [
        FailedSpan(
            seq=job.seq,
            start=job.start_seconds,
            category=job.error_category,
            message=job.error_message,
        )
        for job in jobs
        if job.kind == kind and job.state == "failed"
    ]


def assemble_pages(jobs: Sequence[JobSnapshot]) -> AssembledResult:
    """Pages in order with their text, Markdown and blocks; failed pages keep their place and
    their error, and show as a marked gap in the document's Markdown.

    An office document assembles the same way, its sections, slides and sheet ranges as its
    pages (with their `kind` and `part`), each embedded picture's job right after the unit
    that shows it: Markdown markers per kind are made in `schemas.rendering.pages`."""
    pages = [_page_summary(job) for job in sorted(jobs, key=lambda job: job.seq)]
    data = DocumentPagesData(
        text=PAGE_SEPARATOR.join(page.text or "" for page in pages),
        markdown=pages_markdown(pages),
        page_count=len(pages),
        failed_pages=[page.page_number for page in pages if page.status == "failed"],
        pages=pages,
    )
    return AssembledResult(kind=DOCUMENT_PAGES, data=data.model_dump(mode="json"))


def _page_summary(job: JobSnapshot) -> PageSummary:
    text = markdown = blocks = fields = None
    if job.data is not None:
        text = str(job.data.get("text", ""))
        markdown = job.data.get("markdown")
        blocks = _blocks(job.data)
        # A schema extraction's fields are the document's (merged: schema_result.py).
        fields = job.data.get("fields") if job.extraction_kind != "schema_extraction" else None
    error = None
    if job.state == "failed" and job.error_category:
        error = {"category": job.error_category, "message": job.error_message or ""}
    return PageSummary.model_validate(
        {
            "page_number": job.page_number or job.seq + 1,
            "status": job.state,
            "kind": _unit_kind(job),
            "part": job.part,
            "text": text,
            "markdown": markdown if isinstance(markdown, str) else None,
            "blocks": blocks,
            "extraction_id": job.extraction_id,
            "error": error,
            "fields": fields if isinstance(fields, dict) else None,
        }
    )


_UNIT_KINDS = frozenset({ChunkKind.SECTION, ChunkKind.SLIDE, ChunkKind.SHEET})


def _unit_kind(job: JobSnapshot) -> str | None:
    """The kind a result names: office units and embedded pictures; None for pages/images."""
    if job.kind in _UNIT_KINDS or (job.kind == ChunkKind.IMAGE and job.part is not None):
        return str(job.kind)
    return None
