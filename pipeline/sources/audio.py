"""Decode audio to 16 kHz mono float PCM and split it into speech segments at pauses.

Samples are `array('f')` (float32 in [-1, 1]); no numpy is needed. Segmentation is an
energy-based voice activity detector on 20 ms frames with a threshold adapted to the
recording (its noise floor and speech level); segments last at most `max_seconds`,
are cut at pauses and, where a stretch of speech has no pause, at the quietest frame
near the limit with a small overlap. `trim_seam` removes the words that overlapping
segments both transcribed.
"""

from __future__ import annotations

import io
import math
import operator
import re
import subprocess
import sys
import tempfile
import threading
import wave
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from pipeline.sources.ffmpeg import (
    CORRUPT_FILE,
    LOGLEVEL_WITH_LEVELS,
    TIMEOUT,
    FfmpegTools,
    MediaError,
    check_input_file,
    error_lines,
    failure_category,
    locate_tools,
)

SAMPLE_RATE = 16_000
DECODE_TIMEOUT_SECONDS = 600.0
_BYTES_PER_SAMPLE = 4


@dataclass(frozen=True)
class AudioSegment:
    """A span of speech to transcribe, in seconds from the start of the audio."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class SegmentationConfig:
    """Parameters of the pause-based splitter (all durations in seconds)."""

    frame_seconds: float = 0.02
    max_seconds: float = 30.0
    overlap_seconds: float = 0.5
    min_pause_seconds: float = 0.3
    min_speech_seconds: float = 0.1
    pad_seconds: float = 0.2
    cut_search_seconds: float = 5.0
    silence_floor_db: float = -55.0
    noise_margin_db: float = 6.0
    dynamic_ratio: float = 0.3

    def __post_init__(self) -> None:
        if self.max_seconds <= self.cut_search_seconds + self.overlap_seconds:
            raise ValueError("max_seconds must exceed cut_search_seconds + overlap_seconds")


# ---------------------------------------------------------------- decoding


def _decode_command(
    path: Path, tools: FfmpegTools, start: float, duration: float | None
) -> list[str]:
    input_options: dict[str, float] = {"ss": start} if start > 0 else {}
    if duration is not None:
        input_options["t"] = duration
    source = ffmpeg.input(str(path), **input_options)["a:0"]
    output = source.output(
        "pipe:", format="f32le", acodec="pcm_f32le", ac=1, ar=SAMPLE_RATE
    ).global_args("-hide_banner", "-nostdin", "-nostats", "-loglevel", LOGLEVEL_WITH_LEVELS)
    return [str(arg) for arg in output.compile(cmd=tools.ffmpeg)]


def _samples_from_bytes(raw: bytes) -> array[float]:
    usable = len(raw) - len(raw) % _BYTES_PER_SAMPLE
    samples = array("f")
    samples.frombytes(raw[:usable])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _raise_for_ffmpeg(returncode: int, stderr: str, strict: bool) -> None:
    errors = error_lines(stderr)
    if returncode != 0:
        message = errors[-1] if errors else f"ffmpeg exited with {returncode}"
        raise MediaError(failure_category(stderr), message)
    if strict and errors:
        raise MediaError(CORRUPT_FILE, "; ".join(errors[:3]))


def decode_audio(
    path: str | Path,
    *,
    start: float = 0.0,
    duration: float | None = None,
    tools: FfmpegTools | None = None,
    timeout: float = DECODE_TIMEOUT_SECONDS,
    strict: bool = False,
) -> array[float]:
    """Decode the first audio stream of any audio or video file to 16 kHz mono float32.

    With `strict`, decoding errors (e.g. a truncated file) raise `corrupt_file`;
    otherwise what could be decoded is returned. A file without audio raises
    `unsupported_media`.
    """
    file_path = check_input_file(path)
    command = _decode_command(file_path, tools or locate_tools(), start, duration)
    try:
        result = subprocess.run(
            command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(TIMEOUT, f"decoding {file_path.name} exceeded {timeout:g} s") from exc
    _raise_for_ffmpeg(result.returncode, result.stderr.decode("utf-8", "replace"), strict)
    return _samples_from_bytes(result.stdout)


def iter_audio_blocks(
    path: str | Path,
    *,
    block_seconds: float = 10.0,
    tools: FfmpegTools | None = None,
    timeout: float = DECODE_TIMEOUT_SECONDS,
    strict: bool = False,
) -> Iterator[array[float]]:
    """Stream-decode a file in blocks of samples, never holding the whole audio in memory."""
    file_path = check_input_file(path)
    command = _decode_command(file_path, tools or locate_tools(), 0.0, None)
    block_bytes = max(1, int(block_seconds * SAMPLE_RATE)) * _BYTES_PER_SAMPLE
    with tempfile.TemporaryFile() as stderr_file:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr_file, stdin=subprocess.DEVNULL
        )
        timed_out = threading.Event()

        def kill_on_timeout() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, kill_on_timeout)
        timer.start()
        try:
            assert process.stdout is not None
            while chunk := process.stdout.read(block_bytes):
                yield _samples_from_bytes(chunk)
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
        if timed_out.is_set():
            raise MediaError(TIMEOUT, f"decoding {file_path.name} exceeded {timeout:g} s")
        stderr_file.seek(0)
        _raise_for_ffmpeg(returncode, stderr_file.read().decode("utf-8", "replace"), strict)


def slice_samples(samples: array[float], segment: AudioSegment) -> array[float]:
    """The samples covering `segment` (times relative to the start of `samples`)."""
    first = max(0, round(segment.start * SAMPLE_RATE))
    last = min(len(samples), round(segment.end * SAMPLE_RATE))
    return samples[first:last]


def samples_to_wav(samples: array[float]) -> bytes:
    """Encode samples as a 16-bit 16 kHz mono WAV (e.g. for an `input_audio` request)."""
    pcm = array("h", (max(-32768, min(32767, round(value * 32767))) for value in samples))
    if sys.byteorder == "big":
        pcm.byteswap()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(pcm.tobytes())
    return buffer.getvalue()


# ---------------------------------------------------------------- voice activity


def frame_energies(samples: Sequence[float], frame_seconds: float = 0.02) -> list[float]:
    """Mean square of each frame; a trailing partial frame counts as a frame."""
    size = max(1, round(frame_seconds * SAMPLE_RATE))
    energies = []
    for offset in range(0, len(samples), size):
        frame = samples[offset : offset + size]
        energies.append(sum(map(operator.mul, frame, frame)) / len(frame))
    return energies


def file_frame_energies(
    path: str | Path,
    *,
    frame_seconds: float = 0.02,
    tools: FfmpegTools | None = None,
    timeout: float = DECODE_TIMEOUT_SECONDS,
) -> list[float]:
    """Frame energies of a whole file, computed while streaming its decoded audio."""
    size = max(1, round(frame_seconds * SAMPLE_RATE))
    energies: list[float] = []
    carry = array("f")
    for block in iter_audio_blocks(path, tools=tools, timeout=timeout):
        carry.extend(block)
        whole = len(carry) - len(carry) % size
        energies.extend(frame_energies(carry[:whole], frame_seconds))
        del carry[:whole]
    if carry:
        energies.extend(frame_energies(carry, frame_seconds))
    return energies


def to_decibels(energy: float) -> float:
    """Mean square to dBFS-like decibels, floored at -100 dB."""
    return 10.0 * math.log10(max(energy, 1e-10))


def speech_threshold_db(levels_db: Sequence[float], config: SegmentationConfig) -> float:
    """Adaptive threshold between the noise floor (10th pct) and speech level (95th pct)."""
    ordered = sorted(levels_db)
    noise = ordered[int(0.10 * (len(ordered) - 1))]
    speech = ordered[int(0.95 * (len(ordered) - 1))]
    above_noise = noise + max(config.noise_margin_db, config.dynamic_ratio * (speech - noise))
    threshold = min(above_noise, speech - config.noise_margin_db)
    return max(config.silence_floor_db, threshold)


def speech_regions(energies: Sequence[float], config: SegmentationConfig) -> list[tuple[int, int]]:
    """Runs of speech frames as [start, end) frame indices, bridging short pauses."""
    if not energies:
        return []
    levels = [to_decibels(energy) for energy in energies]
    threshold = speech_threshold_db(levels, config)
    regions: list[tuple[int, int]] = []
    run_start: int | None = None
    for index, level in enumerate([*levels, -math.inf]):
        if level >= threshold and run_start is None:
            run_start = index
        elif level < threshold and run_start is not None:
            regions.append((run_start, index))
            run_start = None
    min_pause = round(config.min_pause_seconds / config.frame_seconds)
    bridged: list[tuple[int, int]] = []
    for start, end in regions:
        if bridged and start - bridged[-1][1] < min_pause:
            bridged[-1] = (bridged[-1][0], end)
        else:
            bridged.append((start, end))
    min_speech = round(config.min_speech_seconds / config.frame_seconds)
    return [(start, end) for start, end in bridged if end - start >= min_speech]


def _quietest_frame(energies: Sequence[float], first: int, last: int) -> int:
    """Index of the lowest-energy frame in [first, last), the latest one on ties."""
    best = last - 1
    for index in range(last - 1, first - 1, -1):
        if energies[index] < energies[best]:
            best = index
    return best


def _pack_regions(
    regions: list[tuple[int, int]], energies: Sequence[float], config: SegmentationConfig
) -> list[tuple[int, int]]:
    """Group regions into spans of at most max frames, force-cutting long speech runs."""
    max_frames = int(config.max_seconds / config.frame_seconds)
    search = round(config.cut_search_seconds / config.frame_seconds)
    overlap = round(config.overlap_seconds / config.frame_seconds)
    spans: list[tuple[int, int]] = []
    pending = list(reversed(regions))
    while pending:
        start, end = pending.pop()
        while pending and pending[-1][1] - start <= max_frames:
            end = pending.pop()[1]
        if end - start <= max_frames:
            spans.append((start, end))
            continue
        cut = _quietest_frame(energies, start + max_frames - search, start + max_frames) + 1
        spans.append((start, cut))
        pending.append((cut - overlap, end))
    return spans


def _pad_spans(
    spans: list[tuple[int, int]], total_frames: int, config: SegmentationConfig
) -> list[tuple[int, int]]:
    """Widen spans into the surrounding pauses without crossing a neighbour or the limit."""
    pad = round(config.pad_seconds / config.frame_seconds)
    max_frames = int(config.max_seconds / config.frame_seconds)
    padded = []
    for index, (start, end) in enumerate(spans):
        previous_end = spans[index - 1][1] if index > 0 else -2 * pad
        next_start = spans[index + 1][0] if index + 1 < len(spans) else total_frames + 2 * pad
        room = max(0, max_frames - (end - start))
        before = max(0, min(pad, (start - previous_end) // 2, start, room))
        after = max(0, min(pad, (next_start - end) // 2, total_frames - end, room - before))
        padded.append((start - before, end + after))
    return padded


def plan_segments(
    energies: Sequence[float],
    config: SegmentationConfig | None = None,
    *,
    total_seconds: float | None = None,
) -> list[AudioSegment]:
    """Speech segments of at most `config.max_seconds` from per-frame energies.

    All-silent audio gives no segment. Segments are cut at pauses; a pause-free
    stretch longer than the limit is cut at its quietest frame in the last
    `cut_search_seconds`, the next segment starting `overlap_seconds` earlier.
    """
    config = config or SegmentationConfig()
    spans = _pack_regions(speech_regions(energies, config), energies, config)
    spans = _pad_spans(spans, len(energies), config)
    limit = total_seconds if total_seconds is not None else len(energies) * config.frame_seconds
    return [
        AudioSegment(
            start=round(start * config.frame_seconds, 3),
            end=round(min(limit, end * config.frame_seconds), 3),
        )
        for start, end in spans
    ]


def split_at_pauses(
    samples: Sequence[float], config: SegmentationConfig | None = None
) -> list[AudioSegment]:
    """Speech segments of in-memory 16 kHz samples (see `plan_segments`)."""
    config = config or SegmentationConfig()
    energies = frame_energies(samples, config.frame_seconds)
    return plan_segments(energies, config, total_seconds=len(samples) / SAMPLE_RATE)


def segment_audio_file(
    path: str | Path,
    config: SegmentationConfig | None = None,
    *,
    tools: FfmpegTools | None = None,
    timeout: float = DECODE_TIMEOUT_SECONDS,
) -> list[AudioSegment]:
    """Speech segments of a file, streaming its audio (memory does not grow with length)."""
    config = config or SegmentationConfig()
    energies = file_frame_energies(
        path, frame_seconds=config.frame_seconds, tools=tools, timeout=timeout
    )
    return plan_segments(energies, config)


# ---------------------------------------------------------------- seams


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
