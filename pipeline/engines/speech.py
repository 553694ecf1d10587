"""Speech segments: Moonshine on the local tier; the edge model, with Moonshine as its fallback
(recorded as `fell_back`), on the edge tier."""

from __future__ import annotations

from array import array

from pipeline.engines.base import ChunkJob, ExtractionResult, model_usage
from pipeline.engines.resources import EngineResources
from pipeline.engines.speech_inputs import decode_span, speech_provenance, speech_span
from pipeline.local.asr import ENGINE_NAME, LANGUAGE, SpeechEngine, transcribe
from pipeline.model.attempts import VlmOutcome
from pipeline.model.speech import SpeechChunk, transcribe_chunk
from pipeline.sources.audio import samples_to_wav
from schemas.enums import ChunkKind, Tier
from schemas.transcript import TRANSCRIPT, TranscriptData, TranscriptSegment

__all__ = ["EdgeSpeechEngine", "LocalSpeechEngine", "local_transcript"]


def local_transcript(samples: array[float], start: float, asr: SpeechEngine) -> TranscriptData:
    """Moonshine on a decoded span; times are from the start of the media."""
    segments = [
        TranscriptSegment(start=s, end=e, text=text)
        for s, e, text in transcribe(samples, start_offset=start, engine=asr)
    ]
    return TranscriptData(
        text=" ".join(segment.text for segment in segments),
        segments=segments,
        language=LANGUAGE,
        engine=ENGINE_NAME,
    )


def _result(
    job: ChunkJob, transcript: TranscriptData, usage_outcome: VlmOutcome | None
) -> ExtractionResult:
    return ExtractionResult(
        kind=TRANSCRIPT,
        data=transcript.model_dump(mode="json"),
        provenance=speech_provenance(job),
        engine=transcript.engine,
        usage=None if usage_outcome is None else model_usage(usage_outcome),
    )


class LocalSpeechEngine:
    """Moonshine base (English), in a child process of its own."""

    tier = Tier.LOCAL
    kinds = frozenset({ChunkKind.SPEECH_SEGMENT})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        start, _ = speech_span(job)
        return _result(job, local_transcript(decode_span(job), start, resources.asr), None)


class EdgeSpeechEngine:
    """Gemma 4 E2B/E4B on the edge server (`input_audio`), Moonshine when it fails."""

    tier = Tier.EDGE
    kinds = frozenset({ChunkKind.SPEECH_SEGMENT})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        engine = resources.require_edge()
        start, _ = speech_span(job)
        samples = decode_span(job)
        speech = transcribe_chunk(
            engine, SpeechChunk(wav=samples_to_wav(samples), start_seconds=start)
        )
        outcome = VlmOutcome(value=None, attempts=speech.attempts)
        transcript = speech.transcript or local_transcript(samples, start, resources.asr)
        return _result(job, transcript, outcome)
