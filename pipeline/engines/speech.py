"""Speech segments: decode the span at 16 kHz mono, transcribe on the edge tier or Moonshine."""

from pathlib import Path

from pipeline.local.asr import ENGINE_NAME, LANGUAGE, transcribe
from pipeline.model.attempts import VlmEngine, VlmOutcome
from pipeline.model.speech import SpeechChunk, transcribe_chunk
from pipeline.sources.audio import decode_audio, samples_to_wav
from schemas.chunks import ChunkDescriptor
from schemas.transcript import TranscriptData, TranscriptSegment


def local_transcript(path: Path, chunk: ChunkDescriptor) -> TranscriptData:
    """Moonshine on the chunk's span; times are from the start of the media."""
    start, end = _span(chunk)
    samples = decode_audio(path, start=start, duration=end - start)
    segments = [
        TranscriptSegment(start=s, end=e, text=text)
        for s, e, text in transcribe(samples, start_offset=start)
    ]
    return TranscriptData(
        text=" ".join(segment.text for segment in segments),
        segments=segments,
        language=LANGUAGE,
        engine=ENGINE_NAME,
    )


def edge_transcript(
    path: Path, chunk: ChunkDescriptor, engine: VlmEngine
) -> tuple[TranscriptData | None, VlmOutcome]:
    """The edge model's transcript of the span, or None when every attempt failed (fall back)."""
    start, end = _span(chunk)
    wav = samples_to_wav(decode_audio(path, start=start, duration=end - start))
    speech = transcribe_chunk(engine, SpeechChunk(wav=wav, start_seconds=start))
    return speech.transcript, VlmOutcome(value=None, attempts=speech.attempts)


def speech_provenance(chunk: ChunkDescriptor) -> dict[str, float]:
    """Where in the media the segment is."""
    start, end = _span(chunk)
    return {"start": start, "end": end}


def _span(chunk: ChunkDescriptor) -> tuple[float, float]:
    if chunk.start_seconds is None or chunk.end_seconds is None:
        raise ValueError("a speech segment chunk needs start and end seconds")
    return chunk.start_seconds, chunk.end_seconds
