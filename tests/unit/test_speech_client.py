"""The edge speech tier against the fake E4B server: audio parts, timed segments, retries."""

import base64
import io
import wave

import pytest

from pipeline.errors import PipelineError
from pipeline.model.answers import FailureKind, meta_schema_errors
from pipeline.model.attempts import AttemptPolicy, VlmEngine
from pipeline.model.client import VlmClient, VlmClientConfig
from pipeline.model.prompts import restate_schema
from pipeline.model.retry import RetryPolicy
from pipeline.model.speech import (
    MAX_TRANSCRIPT_TOKENS,
    TRANSCRIPT_INSTRUCTIONS,
    TRANSCRIPT_SCHEMA,
    SpeechChunk,
    transcribe_chunk,
    transcript_prompt,
    wav_duration,
)
from schemas.enums import ErrorCategory
from schemas.json_schema_subset import find_unsupported
from schemas.transcript import Transcript
from tests.fakes.fake_vllm import EDGE_MODEL, FakeVllmConfig, Fault, running_fake_vllm


def wav(seconds, rate=16_000, channels=1):
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x01\x00" * channels * int(seconds * rate))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server():
    with running_fake_vllm(FakeVllmConfig.edge()) as running:
        yield running


@pytest.fixture
def engine(server):
    server.control.reset()
    sleeps: list[float] = []
    client = VlmClient(VlmClientConfig(base_url=server.base_url, model=EDGE_MODEL, max_tokens=800))
    retry = RetryPolicy(base_delay=0.01, max_delay=0.02)
    engine = VlmEngine(client, AttemptPolicy(), retry, sleep=sleeps.append)
    yield engine, server.control, sleeps
    client.close()


def test_the_transcript_schema_is_sendable():
    assert meta_schema_errors(TRANSCRIPT_SCHEMA) == []
    assert find_unsupported(TRANSCRIPT_SCHEMA) == []


def test_a_chunk_is_sent_as_input_audio_and_comes_back_offset(engine):
    engine, control, _ = engine
    clip = wav(5.0)
    outcome = transcribe_chunk(engine, SpeechChunk(clip, start_seconds=60.0))
    assert not outcome.fell_back
    transcript = outcome.transcript
    assert transcript is not None
    assert transcript.engine == EDGE_MODEL
    assert "fake transcript of 5.00 s of 16000 Hz mono audio" in transcript.text
    (segment,) = transcript.segments
    assert (segment.start, segment.end) == (60.0, 65.0)
    Transcript(data=transcript)  # a storable extraction
    (recorded,) = control.requests
    body = recorded.body
    text, audio, details = body["messages"][0]["content"]
    assert audio["type"] == "input_audio"
    assert audio["input_audio"]["format"] == "wav"
    assert base64.b64decode(audio["input_audio"]["data"]) == clip
    assert restate_schema(TRANSCRIPT_SCHEMA) in text["text"]
    assert details == {"type": "text", "text": "The clip lasts 5.00 s."}
    assert body["response_format"]["json_schema"]["schema"] == TRANSCRIPT_SCHEMA
    assert "mm_processor_kwargs" not in body
    assert body["max_tokens"] == MAX_TRANSCRIPT_TOKENS
    assert not recorded.sent_guided_json
    assert recorded.audio[0].seconds == pytest.approx(5.0)
    (attempt,) = outcome.attempts
    assert attempt.budget is None and attempt.image_size is None
    assert attempt.prompt_tokens > recorded.audio[0].tokens


def test_padding_is_retried_at_a_higher_temperature(engine):
    engine, control, _ = engine
    control.inject(Fault.WHITESPACE_PADDING)
    outcome = transcribe_chunk(engine, SpeechChunk(wav(2.0), start_seconds=10.0))
    assert [(a.failure, a.temperature) for a in outcome.attempts] == [
        (FailureKind.PADDING, 0.0),
        (None, 0.3),
    ]
    assert outcome.transcript is not None
    assert outcome.transcript.segments[0].start == 10.0


def test_503s_and_dropped_connections_are_not_attempts(engine):
    engine, control, sleeps = engine
    control.inject(Fault.REJECT_503, times=2)
    control.inject(Fault.DROP_CONNECTION)
    outcome = transcribe_chunk(engine, SpeechChunk(wav(1.0)))
    (attempt,) = outcome.attempts
    assert (attempt.failure, attempt.transient_failures) == (None, 3)
    assert len(sleeps) == 3


def test_all_attempts_failing_falls_back_to_the_local_tier(engine):
    engine, control, _ = engine
    control.inject(Fault.REPETITION_LOOP, times=3)
    outcome = transcribe_chunk(engine, SpeechChunk(wav(3.0)))
    assert outcome.fell_back
    assert outcome.transcript is None
    assert [a.failure for a in outcome.attempts] == [FailureKind.REPETITION] * 3
    assert outcome.duration_seconds == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("clip", "fragment"),
    [
        (wav(1.0, rate=44_100), "16 kHz mono"),
        (wav(1.0, channels=2), "16 kHz mono"),
        (wav(30.5), "at most 30 s"),
    ],
)
def test_chunks_that_break_the_contract_are_refused_before_sending(engine, clip, fragment):
    engine, control, _ = engine
    with pytest.raises(PipelineError, match=fragment) as caught:
        transcribe_chunk(engine, SpeechChunk(clip))
    assert caught.value.category is ErrorCategory.INVALID_OPTIONS
    assert control.requests == []


def test_bytes_that_are_not_wav_are_corrupt():
    with pytest.raises(PipelineError) as caught:
        wav_duration(b"OggS not a wave")
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert wav_duration(wav(30.0)) == 30.0


def test_the_timestamp_check_refuses_impossible_segments():
    check = transcript_prompt(10.0).extra_check
    assert check is not None
    ok = {"segments": [{"start": 0.0, "end": 10.5, "text": "a"}]}
    backwards = {"segments": [{"start": 0.0, "end": 1.0, "text": "a"}, {"start": 4, "end": 3}]}
    too_late = {"segments": [{"start": 9.0, "end": 12.0, "text": "a"}]}
    assert check(ok) is None
    assert check(backwards) == "segment 1 ends before it starts"
    assert "past the clip" in (check(too_late) or "")


def test_the_language_hint_reaches_the_prompt():
    assert "'de'" in (transcript_prompt(3.0, "de").details or "")
    assert "ISO 639-1 code 'de'" not in (transcript_prompt(3.0).details or "")


def test_the_instructions_are_the_same_for_every_clip():
    first, second = transcript_prompt(3.0, "de"), transcript_prompt(27.5)
    assert first.instructions == second.instructions == TRANSCRIPT_INSTRUCTIONS
    assert (first.details, second.details) == (
        "The clip lasts 3.00 s. The speech is in the language with ISO 639-1 code 'de'.",
        "The clip lasts 27.50 s.",
    )
