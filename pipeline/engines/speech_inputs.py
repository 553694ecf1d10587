"""The span of a speech-segment chunk, decoded at 16 kHz mono."""

from __future__ import annotations

from array import array

from pipeline.engines.base import ChunkJob
from pipeline.errors import InvalidChunkError
from pipeline.sources.audio import decode_audio

__all__ = ["decode_span", "speech_provenance", "speech_span"]


def speech_span(job: ChunkJob) -> tuple[float, float]:
    """(start, end) seconds of the segment in its media."""
    chunk = job.chunk
    if chunk.start_seconds is None or chunk.end_seconds is None:
        raise InvalidChunkError("a speech segment chunk needs start and end seconds")
    return chunk.start_seconds, chunk.end_seconds


def decode_span(job: ChunkJob) -> array[float]:
    """The segment's samples, 16 kHz mono float32."""
    start, end = speech_span(job)
    return decode_audio(job.path, start=start, duration=end - start)


def speech_provenance(job: ChunkJob) -> dict[str, float]:
    """Where in the media the segment is."""
    start, end = speech_span(job)
    return {"start": start, "end": end}
