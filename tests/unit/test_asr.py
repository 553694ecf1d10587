"""Moonshine transcription of known speech, silence, long audio and transcript assembly."""

import itertools
import socket
import urllib.request
from array import array
from collections import Counter
from pathlib import Path

import pydantic
import pytest

from pipeline.assemble.transcript import assemble_transcript, normalise_word
from pipeline.errors import EngineError
from pipeline.local.asr import (
    ENGINE_NAME,
    LANGUAGE,
    IsolatedMoonshineEngine,
    MoonshineEngine,
    transcribe,
    transcribe_file,
)
from pipeline.local.moonshine_model import MoonshineTokenizer, bundled_model_folder
from pipeline.sources.audio import SAMPLE_RATE, decode_audio
from pipeline.sources.pauses import SegmentationConfig
from schemas.transcript import Transcript, TranscriptSegment
from tests.support.media import SPEECH_CLIP, SPEECH_WORDS


def words(text: str) -> list[str]:
    return [word for word in map(normalise_word, text.split()) if word]


def recall(reference: list[str], hypothesis: list[str]) -> float:
    """Share of reference words found in the hypothesis, counting repeats."""
    matched = sum((Counter(reference) & Counter(hypothesis)).values())
    return matched / len(reference)


@pytest.fixture(scope="module")
def jfk_samples() -> array:
    return decode_audio(SPEECH_CLIP)


@pytest.mark.models
def test_transcribe_file_recognises_the_known_words(asr_engine: IsolatedMoonshineEngine) -> None:
    transcript = transcribe_file(SPEECH_CLIP, engine=asr_engine)

    assert isinstance(transcript, Transcript)
    assert transcript.kind == "transcript"
    assert transcript.data.engine == ENGINE_NAME
    assert transcript.data.language == "en"
    assert recall(SPEECH_WORDS, words(transcript.data.text)) >= 0.85
    assert transcript.data.segments
    for segment in transcript.data.segments:
        assert 0.0 <= segment.start < segment.end <= 11.2
        assert segment.text.strip()


@pytest.mark.models
def test_timestamps_are_offset_by_the_segment_start(
    jfk_samples: array, asr_engine: IsolatedMoonshineEngine
) -> None:
    opening = jfk_samples[: 4 * SAMPLE_RATE]  # "And so, my fellow Americans, ..."

    timed = transcribe(opening, start_offset=120.0, engine=asr_engine)

    assert timed
    assert all(120.0 <= start < end <= 124.0 for start, end, _ in timed)
    heard = words(" ".join(text for _, _, text in timed))
    assert recall(["and", "so", "my", "fellow", "americans"], heard) >= 0.8


def test_silence_gives_no_segment(asr_engine: IsolatedMoonshineEngine) -> None:
    assert transcribe(array("f", bytes(4 * SAMPLE_RATE * 3)), engine=asr_engine) == []
    assert transcribe(array("f"), engine=asr_engine) == []


@pytest.mark.models
def test_long_audio_cut_inside_speech_is_deduplicated_at_the_seams(
    jfk_samples: array, asr_engine: IsolatedMoonshineEngine
) -> None:
    # Two readings back to back; pauses shorter than 2 s do not count, so every cut falls
    # inside speech and neighbouring segments share 1 s of audio.
    config = SegmentationConfig(
        max_seconds=5.0, cut_search_seconds=1.5, overlap_seconds=1.0, min_pause_seconds=2.0
    )
    reference = SPEECH_WORDS * 2

    timed = transcribe(jfk_samples + jfk_samples, config=config, engine=asr_engine)
    transcript = assemble_transcript(timed, engine_name=ENGINE_NAME, language=LANGUAGE)

    assert len(timed) >= 4
    assert all(end - start <= 5.0 + 1e-6 for start, end, _ in timed)
    assert all(next_start < end for (_, end, _), (next_start, _, _) in itertools.pairwise(timed))
    raw_words = words(" ".join(text for _, _, text in timed))
    assert len(raw_words) > len(reference) + 3  # the overlaps were transcribed twice
    merged_words = words(transcript.data.text)
    assert recall(reference, merged_words) >= 0.8
    assert len(merged_words) <= len(reference) + 3


@pytest.mark.models
def test_the_engine_keeps_its_child_and_model_across_calls(
    jfk_samples: array, asr_engine: IsolatedMoonshineEngine
) -> None:
    transcribe(jfk_samples[: 2 * SAMPLE_RATE], engine=asr_engine)
    first_child = asr_engine.child_pid

    transcribe(jfk_samples[: 2 * SAMPLE_RATE], engine=asr_engine)

    assert first_child is not None
    assert asr_engine.child_pid == first_child


@pytest.mark.models
def test_isolated_engine_replaces_its_child_past_the_memory_limit(jfk_samples: array) -> None:
    engine = IsolatedMoonshineEngine(memory_limit_mb=1)  # every call passes the limit
    try:
        first = engine.transcribe_samples(jfk_samples[: 4 * SAMPLE_RATE])
        assert engine.restarts == 1
        assert engine.child_pid is None
        second = engine.transcribe_samples(jfk_samples[: 4 * SAMPLE_RATE])
        assert engine.restarts == 2
    finally:
        engine.close()

    assert first == second
    assert recall(["and", "so", "my", "fellow"], words(first)) == 1.0


@pytest.mark.models
def test_model_loads_and_runs_without_network(
    monkeypatch: pytest.MonkeyPatch, jfk_samples: array
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlretrieve", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)

    engine = MoonshineEngine()
    text = engine.transcribe_samples(jfk_samples)

    assert recall(SPEECH_WORDS, words(text)) >= 0.85


def test_assemble_sorts_merges_overlaps_and_drops_empty_segments() -> None:
    transcript = assemble_transcript(
        [
            (5.5, 11.0, "ask not what your country can do for you"),
            (0.0, 6.0, "and so my fellow Americans ask not"),
            (11.0, 12.0, "   "),
            TranscriptSegment(start=12.0, end=14.0, text="thank you"),
        ],
        engine_name=ENGINE_NAME,
    )

    assert [segment.start for segment in transcript.data.segments] == [0.0, 5.5, 12.0]
    assert transcript.data.segments[1].text == "what your country can do for you"
    assert transcript.data.text == (
        "and so my fellow Americans ask not what your country can do for you thank you"
    )


def test_assemble_keeps_repeated_words_when_segments_do_not_overlap() -> None:
    transcript = assemble_transcript(
        [(0.0, 2.0, "go on"), (2.5, 4.0, "on and on")], engine_name=ENGINE_NAME
    )

    assert transcript.data.text == "go on on and on"


def test_segment_end_before_start_is_rejected() -> None:
    with pytest.raises(pydantic.ValidationError):
        TranscriptSegment(start=3.0, end=2.0, text="x")


def test_moonshine_tokenizer_reads_lengths_then_bytes_and_joins_word_pieces(
    tmp_path: Path,
) -> None:
    pieces = [b"<unk>", b"<s>", b"</s>", b"\xc3", b"\xa9", "\u2581caf".encode(), b"e"]
    path = tmp_path / "tokenizer.bin"
    path.write_bytes(b"".join(bytes([len(piece)]) + piece for piece in pieces))
    tokenizer = MoonshineTokenizer.from_file(path)

    assert tokenizer.pieces == tuple(pieces)
    assert tokenizer.decode([1, 5, 6, 0, 2]) == "cafe"
    assert tokenizer.decode([5, 3, 4, 99]) == "café"  # byte tokens join into UTF-8; 99 unknown
    path.write_bytes(b"\x05<unk>\x09<s>")
    with pytest.raises(EngineError, match="truncated at token 1"):
        MoonshineTokenizer.from_file(path)


@pytest.mark.models
def test_bundled_tokenizer_has_the_models_vocabulary() -> None:
    tokenizer = MoonshineTokenizer.from_file(bundled_model_folder() / "tokenizer.bin")

    assert len(tokenizer.pieces) == 32000
    assert tokenizer.pieces[:3] == (b"<unk>", b"<s>", b"</s>")
    assert tokenizer.pieces[3 : 3 + 256] == tuple(bytes([value]) for value in range(256))
