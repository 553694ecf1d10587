"""Cutting audio and video into jobs: speech segments at pauses, keyframes at scene changes."""

import io
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from pipeline.errors import MediaError, PipelineError
from pipeline.sources.ffmpeg import probe
from pipeline.sources.legibility import TextMeasure, measure_image
from pipeline.sources.pauses import segment_audio_file
from pipeline.sources.video import KeyframePolicy, extract_frame, keyframe_times
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory

__all__ = ["KEYFRAMES", "chunk_audio", "chunk_video"]

KEYFRAMES = KeyframePolicy(scene_threshold=0.02, max_per_minute=12, max_gap_seconds=15)
"""Documents on screen change little between frames: a new slide of dark text on white scores
under 0.05 on ffmpeg's scene metric, so the threshold is low and the per-minute cap (at most one
frame every 5 s) keeps busy footage in check; a static shot is still sampled every 15 s."""


def chunk_audio(path: Path) -> Iterator[ChunkDescriptor]:
    """One speech segment (at most 30 s, cut at pauses) per job; silence gives no jobs."""
    media = probe(path)
    if not media.has_audio:
        raise PipelineError(ErrorCategory.UNSUPPORTED_MEDIA, "the file has no audio stream")
    yield from _speech_chunks(path, first_seq=0)


def chunk_video(path: Path, *, legibility: bool = True) -> Iterator[ChunkDescriptor]:
    """A visual job per keyframe (its text measured when `legibility`: a frame extracted with
    ffmpeg, about 0.1 s each), then a speech job per audio segment."""
    media = probe(path)
    if not media.has_video:
        if media.has_audio:
            yield from _speech_chunks(path, first_seq=0)
            return
        raise PipelineError(ErrorCategory.UNSUPPORTED_MEDIA, "the file has no video or audio")
    stream = media.video_streams[0]
    seq = 0
    for timestamp in keyframe_times(path, KEYFRAMES):
        measure = _measure_frame(path, timestamp, stream.width) if legibility else None
        yield ChunkDescriptor(
            seq=seq,
            kind=ChunkKind.VIDEO_FRAME,
            page_number=seq + 1,
            width=stream.width,
            height=stream.height,
            start_seconds=round(timestamp, 3),
            has_text_layer=False,
            text_area_share=measure.text_area_share if measure else None,
            min_text_height=measure.min_text_height if measure else None,
        )
        seq += 1
    if media.has_audio:
        yield from _speech_chunks(path, first_seq=seq)


def _measure_frame(path: Path, timestamp: float, source_width: int | None) -> TextMeasure | None:
    """The text in one keyframe, heights in the stream's pixels; None if it cannot be read."""
    try:
        png = extract_frame(path, timestamp)
    except MediaError:
        return None
    with Image.open(io.BytesIO(png)) as image:
        measure = measure_image(image)
        scale = source_width / image.width if source_width and image.width else 1.0
    if measure.min_text_height is None:
        return measure
    return TextMeasure(measure.text_area_share, round(measure.min_text_height * scale, 2))


def _speech_chunks(path: Path, first_seq: int) -> Iterator[ChunkDescriptor]:
    for offset, segment in enumerate(segment_audio_file(path)):
        yield ChunkDescriptor(
            seq=first_seq + offset,
            kind=ChunkKind.SPEECH_SEGMENT,
            start_seconds=round(segment.start, 3),
            end_seconds=round(segment.end, 3),
        )
