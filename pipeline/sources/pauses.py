"""Pauses in decoded audio: where speech segments of at most `max_seconds` are cut.

An energy-based voice activity detector on 20 ms frames with a threshold adapted to the
recording (its noise floor and speech level); segments are cut at pauses and, where a stretch
of speech has no pause, at the quietest frame near the limit with a small overlap.
"""

from __future__ import annotations

import math
import operator
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.sources.audio import (
    DECODE_TIMEOUT_SECONDS,
    SAMPLE_RATE,
    AudioSegment,
    iter_audio_blocks,
)
from pipeline.sources.ffmpeg import FfmpegTools

__all__ = [
    "SegmentationConfig",
    "file_frame_energies",
    "frame_energies",
    "plan_segments",
    "segment_audio_file",
    "speech_regions",
    "speech_threshold_db",
    "split_at_pauses",
    "to_decibels",
]


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
