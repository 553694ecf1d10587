"""The edge speech tier: one audio chunk to a timed transcript on a Gemma 4 E4B/E2B vLLM server.

A chunk is at most 30 s of 16 kHz mono WAV (what `pipeline.sources.audio` produces), checked before
anything is sent. It goes as an `input_audio` part with a prompt asking for the transcript as
JSON (`TRANSCRIPT_SCHEMA`, restated in the prompt before the audio; the clip's duration comes
after it), through `VlmEngine.extract_audio`: the same validation, retries and fallback as the
visual tier. Segment times come back relative to the
chunk and are shifted by the chunk's start; times past the chunk's end (beyond a small
tolerance) or a segment ending before it starts make the attempt fail.
"""

import io
import wave
from dataclasses import dataclass
from typing import Any

from pipeline.errors import PipelineError
from pipeline.model.attempts import Attempt, VlmEngine
from pipeline.model.prompts import StructuredPrompt, restate_schema
from schemas.enums import ErrorCategory
from schemas.transcript import TranscriptData, TranscriptSegment

__all__ = [
    "MAX_CHUNK_SECONDS",
    "MAX_TRANSCRIPT_TOKENS",
    "SAMPLE_RATE",
    "TIME_TOLERANCE_SECONDS",
    "TRANSCRIPT_INSTRUCTIONS",
    "TRANSCRIPT_SCHEMA",
    "SpeechChunk",
    "SpeechOutcome",
    "transcribe_chunk",
    "transcript_prompt",
    "wav_duration",
]

SAMPLE_RATE = 16_000
MAX_CHUNK_SECONDS = 30.0
MAX_TRANSCRIPT_TOKENS = 1024
"""Bound on a 30 s transcript with its segments (a few hundred tokens when well-behaved)."""
TIME_TOLERANCE_SECONDS = 1.0
"""How far past the chunk's end a timestamp may go before the answer is refused."""

TRANSCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The whole transcript"},
        "language": {
            "type": "string",
            "description": "ISO 639-1 code of the spoken language",
            "maxLength": 8,
        },
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "start": {"type": "number", "minimum": 0},
                    "end": {"type": "number", "minimum": 0},
                    "text": {"type": "string"},
                },
                "required": ["start", "end", "text"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["text", "language", "segments"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class SpeechChunk:
    """One audio chunk: WAV bytes and where it starts in the media (seconds)."""

    wav: bytes
    start_seconds: float = 0.0
    language: str | None = None
    """The expected language (ISO 639-1), if known."""


@dataclass(frozen=True)
class SpeechOutcome:
    """A transcript with media-relative times, or a fallback, with every attempt."""

    transcript: TranscriptData | None
    attempts: tuple[Attempt, ...]
    duration_seconds: float

    @property
    def fell_back(self) -> bool:
        """Every attempt failed: transcribe the chunk on the local tier (Moonshine)."""
        return self.transcript is None


def wav_duration(wav: bytes) -> float:
    """Seconds of a 16 kHz mono WAV of at most 30 s; a PipelineError for anything else."""
    try:
        with wave.open(io.BytesIO(wav)) as reader:
            frames, rate, channels = (
                reader.getnframes(),
                reader.getframerate(),
                reader.getnchannels(),
            )
    except (wave.Error, EOFError) as exc:
        raise PipelineError(ErrorCategory.CORRUPT_FILE, f"not a WAV chunk: {exc}") from exc
    if rate != SAMPLE_RATE or channels != 1:
        raise PipelineError(
            ErrorCategory.INVALID_OPTIONS,
            f"speech chunks must be 16 kHz mono, got {rate} Hz with {channels} channel(s)",
        )
    seconds = float(frames) / float(rate)
    if seconds > MAX_CHUNK_SECONDS:
        raise PipelineError(
            ErrorCategory.INVALID_OPTIONS,
            f"speech chunks last at most {MAX_CHUNK_SECONDS:.0f} s, got {seconds:.2f} s",
        )
    return seconds


TRANSCRIPT_INSTRUCTIONS = (
    "Transcribe the speech in the audio clip that follows verbatim, in its own language; do "
    "not translate or summarise. Split it into segments at sentence or phrase boundaries, each "
    "with its start and end in seconds from the start of the clip (between 0 and the duration "
    'given after the clip). "text" is the whole transcript, "language" the ISO 639-1 code of '
    "the speech. If there is no speech, answer with an empty text and no segments. Answer with "
    "one JSON object and nothing else. It must follow this JSON schema:\n"
    + restate_schema(TRANSCRIPT_SCHEMA)
)
"""The same for every clip (vLLM caches it as a prefix); the clip's duration comes after it."""


def transcript_prompt(duration: float, language: str | None = None) -> StructuredPrompt:
    """The prompt asking for a timed transcript of a `duration`-second clip."""
    spoken = f" The speech is in the language with ISO 639-1 code {language!r}." if language else ""
    details = f"The clip lasts {duration:.2f} s.{spoken}"

    def check_times(value: Any) -> str | None:
        for index, segment in enumerate(value["segments"]):
            if segment["end"] < segment["start"]:
                return f"segment {index} ends before it starts"
            if segment["end"] > duration + TIME_TOLERANCE_SECONDS:
                return f"segment {index} ends at {segment['end']} s, past the clip's {duration} s"
        return None

    return StructuredPrompt(
        "transcript",
        TRANSCRIPT_SCHEMA,
        TRANSCRIPT_INSTRUCTIONS,
        details=details,
        extra_check=check_times,
        max_tokens=MAX_TRANSCRIPT_TOKENS,
    )


def transcribe_chunk(engine: VlmEngine, chunk: SpeechChunk) -> SpeechOutcome:
    """Transcribe one chunk on the edge tier; times in the outcome are from the media's start."""
    duration = wav_duration(chunk.wav)
    outcome = engine.extract_audio(transcript_prompt(duration, chunk.language), chunk.wav)
    if outcome.fell_back:
        return SpeechOutcome(None, outcome.attempts, duration)
    value = outcome.value
    offset = chunk.start_seconds
    segments = [
        TranscriptSegment(
            start=offset + min(float(s["start"]), duration),
            end=offset + min(float(s["end"]), duration),
            text=s["text"].strip(),
        )
        for s in value["segments"]
    ]
    transcript = TranscriptData(
        text=value["text"].strip(),
        segments=segments,
        language=value["language"] or chunk.language or "und",
        engine=outcome.model or engine.client.config.model,
    )
    return SpeechOutcome(transcript, outcome.attempts, duration)
