"""A transcript from timed segments: overlapping segments meet at seams where words repeat."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

from schemas.transcript import Transcript, TranscriptData, TranscriptSegment

__all__ = [
    "DEFAULT_LANGUAGE",
    "TimedText",
    "assemble_transcript",
    "merge_transcripts",
    "normalise_word",
    "trim_seam",
]

TimedText = tuple[float, float, str]
DEFAULT_LANGUAGE = "en"
"""The language of a transcript whose segments name none (silence): the bundled ASR's."""
# Generous speaking rate used to bound how many words two overlapping segments can share.
_WORDS_PER_SECOND = 4.0


def normalise_word(word: str) -> str:
    """Lower-case a word and strip punctuation, for comparisons."""
    return re.sub(r"[^\w']+", "", word.lower()).strip("'")


def trim_seam(previous: str, following: str, max_overlap_words: int = 6) -> tuple[str, str]:
    """Remove words transcribed twice where two overlapping segments meet.

    Finds the longest run of words ending `previous` that also starts `following`,
    allowing one clipped word at the cut on either side, and returns both texts
    with the duplicate (and any clipped fragment) removed from `following` and
    the fragment removed from `previous`.
    """
    prev_words, next_words = previous.split(), following.split()
    prev_norm = [normalise_word(word) for word in prev_words[-(max_overlap_words + 1) :]]
    next_norm = [normalise_word(word) for word in next_words[: max_overlap_words + 1]]
    best: tuple[int, int, int] = (0, 0, 0)  # (matched words, prev fragment, next fragment)
    for prev_skip, next_skip in ((0, 0), (1, 0), (0, 1)):
        tail = prev_norm[: len(prev_norm) - prev_skip]
        head = next_norm[next_skip:]
        minimum = 1 if prev_skip == next_skip == 0 else 2
        for size in range(min(len(tail), len(head), max_overlap_words), minimum - 1, -1):
            if tail[-size:] == head[:size] and any(tail[-size:]):
                if size > best[0]:
                    best = (size, prev_skip, next_skip)
                break
    matched, prev_skip, next_skip = best
    if matched == 0:
        return previous, following
    kept_previous = prev_words[: len(prev_words) - prev_skip]
    return " ".join(kept_previous), " ".join(next_words[matched + next_skip :])


def merge_transcripts(texts: Sequence[str], max_overlap_words: int = 6) -> str:
    """Join the transcripts of consecutive overlapping segments without seam repeats."""
    merged: list[str] = []
    for text in texts:
        if merged:
            merged[-1], text = trim_seam(merged[-1], text, max_overlap_words)
        merged.append(text)
    return " ".join(part for part in merged if part)


def assemble_transcript(
    segments: Iterable[TimedText | TranscriptSegment],
    *,
    engine_name: str,
    language: str = DEFAULT_LANGUAGE,
) -> Transcript:
    """Build the transcript result, removing words repeated where segments overlap."""
    ordered = sorted(
        (_as_segment(item) for item in segments), key=lambda item: (item.start, item.end)
    )
    merged: list[TranscriptSegment] = []
    for segment in ordered:
        if merged and segment.start < merged[-1].end:
            overlap_words = math.ceil((merged[-1].end - segment.start) * _WORDS_PER_SECOND) + 1
            previous_text, text = trim_seam(merged[-1].text, segment.text, overlap_words)
            merged[-1] = merged[-1].model_copy(update={"text": previous_text})
            segment = segment.model_copy(update={"text": text})
        merged.append(segment)
    kept = [segment for segment in merged if segment.text.strip()]
    data = TranscriptData(
        text=" ".join(segment.text.strip() for segment in kept),
        segments=kept,
        language=language,
        engine=engine_name,
    )
    return Transcript(data=data)


def _as_segment(item: TimedText | TranscriptSegment) -> TranscriptSegment:
    if isinstance(item, TranscriptSegment):
        return item
    start, end, text = item
    return TranscriptSegment(start=start, end=end, text=text)
