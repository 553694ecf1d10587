"""Merge a video's keyframe texts and transcript segments into one timeline."""

from collections.abc import Iterable

from schemas.timeline import (
    TimelineFrame,
    TimelineItem,
    TimelineSpeech,
    VideoTimeline,
    VideoTimelineData,
)
from schemas.transcript import TranscriptSegment

__all__ = ["build_timeline"]


def _start_time(item: TimelineItem) -> tuple[float, int]:
    # At equal times a frame comes first: it is what is on screen when the speech starts.
    if isinstance(item, TimelineFrame):
        return (item.timestamp, 0)
    return (item.start, 1)


def _frame(frame: tuple[float, str] | TimelineFrame) -> TimelineFrame:
    if isinstance(frame, TimelineFrame):
        return frame.model_copy(update={"text": frame.text.strip()})
    timestamp, text = frame
    return TimelineFrame(timestamp=timestamp, text=text.strip())


def build_timeline(
    frames: Iterable[tuple[float, str] | TimelineFrame],
    speech: Iterable[TranscriptSegment],
    *,
    duration: float | None = None,
) -> VideoTimeline:
    """Interleave frames (with their blocks, or as (timestamp, text)) and transcript segments
    by start time."""
    items: list[TimelineItem] = [_frame(frame) for frame in frames]
    items.extend(
        TimelineSpeech(
            start=segment.start,
            end=segment.end,
            text=segment.text.strip(),
            speaker=segment.speaker,
        )
        for segment in speech
    )
    items.sort(key=_start_time)
    text = "\n".join(item.text for item in items if item.text)
    return VideoTimeline(data=VideoTimelineData(text=text, items=items, duration=duration))
