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
import subprocess
import sys
import tempfile
import threading
import wave
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from pipeline.errors import MediaError
from pipeline.sources.ffmpeg import (
    LOGLEVEL_WITH_LEVELS,
    FfmpegTools,
    check_input_file,
    locate_tools,
    raise_for_ffmpeg,
)
from schemas.enums import ErrorCategory

__all__ = [
    "DECODE_TIMEOUT_SECONDS",
    "SAMPLE_RATE",
    "AudioSegment",
    "decode_audio",
    "iter_audio_blocks",
    "samples_to_wav",
    "slice_samples",
]

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
        raise MediaError(
            ErrorCategory.TIMEOUT, f"decoding {file_path.name} exceeded {timeout:g} s"
        ) from exc
    raise_for_ffmpeg(result.returncode, result.stderr.decode("utf-8", "replace"), strict=strict)
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
            raise MediaError(
                ErrorCategory.TIMEOUT, f"decoding {file_path.name} exceeded {timeout:g} s"
            )
        stderr_file.seek(0)
        raise_for_ffmpeg(returncode, stderr_file.read().decode("utf-8", "replace"), strict=strict)


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
