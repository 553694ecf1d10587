"""Transcripts and video timelines as Markdown and HTML: timestamped, speakers named.

Speech is a paragraph `**[HH:MM:SS]** text` (`**[HH:MM:SS] Speaker:** text` when the speaker
is known); a keyframe is a section under `## [HH:MM:SS] Keyframe` holding its text; a failed
segment or frame is a quoted gap at its time, so nothing is lost silently.
"""

from collections.abc import Sequence
from html import escape

from schemas.blocks import Block
from schemas.rendering.clock import clock, iso_duration
from schemas.rendering.html import render_html
from schemas.rendering.markdown import render_markdown
from schemas.rendering.pages import content_blocks
from schemas.results import FailedSpan
from schemas.timeline import TimelineFrame, TimelineItem, TimelineSpeech
from schemas.transcript import TranscriptSegment

__all__ = [
    "FRAME_GAP",
    "SPEECH_GAP",
    "timeline_html",
    "timeline_markdown",
    "transcript_html",
    "transcript_markdown",
]

SPEECH_GAP = "speech not transcribed"
FRAME_GAP = "keyframe not read"

Speech = TranscriptSegment | TimelineSpeech
_Gap = tuple[FailedSpan, str]
_Entry = TimelineFrame | Speech | _Gap


def transcript_markdown(
    segments: Sequence[TranscriptSegment], failed: Sequence[FailedSpan] = ()
) -> str:
    """One timestamped paragraph per segment, failed segments as gaps in time order."""
    return _markdown(_in_time_order([*segments, *_gaps(failed, SPEECH_GAP)]))


def transcript_html(
    segments: Sequence[TranscriptSegment], failed: Sequence[FailedSpan] = ()
) -> str:
    """One `<p>` per segment, opening with its `<time>`; failed segments as gap paragraphs."""
    return _html(_in_time_order([*segments, *_gaps(failed, SPEECH_GAP)]))


def timeline_markdown(
    items: Sequence[TimelineItem],
    failed_frames: Sequence[FailedSpan] = (),
    failed_segments: Sequence[FailedSpan] = (),
    include_furniture: bool = False,
) -> str:
    """Keyframes as timestamped sections, speech as timestamped paragraphs, in time order."""
    entries = [*items, *_gaps(failed_frames, FRAME_GAP), *_gaps(failed_segments, SPEECH_GAP)]
    return _markdown(_in_time_order(entries), include_furniture)


def timeline_html(
    items: Sequence[TimelineItem],
    failed_frames: Sequence[FailedSpan] = (),
    failed_segments: Sequence[FailedSpan] = (),
    include_furniture: bool = False,
) -> str:
    """Keyframes as `<section data-timestamp>` with their blocks' HTML, speech as `<p>`."""
    entries = [*items, *_gaps(failed_frames, FRAME_GAP), *_gaps(failed_segments, SPEECH_GAP)]
    return _html(_in_time_order(entries), include_furniture)


def _gaps(failed: Sequence[FailedSpan], what: str) -> list[_Gap]:
    return [(span, what) for span in failed]


def _start(entry: _Entry) -> tuple[float, int]:
    # At equal times a frame comes first (what is on screen as the speech starts), gaps last.
    if isinstance(entry, TimelineFrame):
        return (entry.timestamp, 0)
    if isinstance(entry, tuple):
        return (entry[0].start or 0.0, 2)
    return (entry.start, 1)


def _in_time_order(entries: Sequence[_Entry]) -> list[_Entry]:
    return sorted(entries, key=_start)


def _markdown(entries: Sequence[_Entry], include_furniture: bool = False) -> str:
    parts: list[str] = []
    for entry in entries:
        if isinstance(entry, TimelineFrame):
            parts.append(f"## [{clock(entry.timestamp)}] Keyframe")
            body = render_markdown(
                content_blocks(_frame_blocks(entry), entry.text), include_furniture
            )
            if body:
                parts.append(body)
        elif isinstance(entry, tuple):
            span, what = entry
            parts.append(f"> **[{clock(span.start or 0.0)}]** {what} ({_reason(span)})")
        elif text := _one_line(entry.text):
            parts.append(f"**[{clock(entry.start)}]{_speaker_markdown(entry)}** {text}")
    return "\n\n".join(parts)


def _html(entries: Sequence[_Entry], include_furniture: bool = False) -> str:
    parts: list[str] = []
    for entry in entries:
        if isinstance(entry, TimelineFrame):
            blocks = content_blocks(_frame_blocks(entry), entry.text)
            body = render_html(blocks, include_furniture)
            heading = f"<h2>{_time_html(entry.timestamp)} Keyframe</h2>"
            inner = f"{heading}\n{body}" if body else heading
            parts.append(f'<section data-timestamp="{entry.timestamp:g}">\n{inner}\n</section>')
        elif isinstance(entry, tuple):
            span, what = entry
            reason = escape(_reason(span))
            parts.append(f'<p class="gap">{_time_html(span.start or 0.0)} {what} ({reason})</p>')
        elif text := _one_line(entry.text):
            speaker = ""
            if entry.speaker:
                speaker = f' <span class="speaker">{escape(entry.speaker)}:</span>'
            parts.append(
                f'<p data-start="{entry.start:g}" data-end="{entry.end:g}">'
                f"{_time_html(entry.start)}{speaker} {escape(text)}</p>"
            )
    return "\n".join(parts)


def _frame_blocks(frame: TimelineFrame) -> list[Block] | None:
    return frame.blocks or None


def _time_html(seconds: float) -> str:
    return f'<time datetime="{iso_duration(seconds)}">[{clock(seconds)}]</time>'


def _speaker_markdown(speech: Speech) -> str:
    return f" {_one_line(speech.speaker)}:" if speech.speaker else ""


def _reason(span: FailedSpan) -> str:
    return f"failed: {span.category}" if span.category else "failed"


def _one_line(text: str) -> str:
    return " ".join(text.split())
