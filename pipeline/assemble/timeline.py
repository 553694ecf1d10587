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


def build_timeline(
    frames: Iterable[tuple[float, str]],
    speech: Iterable[TranscriptSegment],
    *,
    duration: float | None = None,
) -> VideoTimeline:
    """Interleave (timestamp, text) frames and transcript segments by start time."""
    items: list[TimelineItem] = [
        TimelineFrame(timestamp=timestamp, text=text.strip()) for timestamp, text in frames
    ]
    items.extend(
        TimelineSpeech(start=segment.start, end=segment.end, text=segment.text.strip())
        for segment in speech
    )
    items.sort(key=_start_time)
    text = "\n".join(item.text for item in items if item.text)
    return VideoTimeline(data=VideoTimelineData(text=text, items=items, duration=duration))
