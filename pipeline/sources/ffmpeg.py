"""Locate ffmpeg/ffprobe, run them with timeouts and probe media files.

System binaries on PATH are preferred; otherwise the ffmpeg binary shipped by the
`imageio-ffmpeg` package is used. Without ffprobe, media are probed by parsing the
banner that `ffmpeg -i` prints.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import EngineError, MediaError
from schemas.enums import ErrorCategory

__all__ = [
    "LOGLEVEL_WITH_LEVELS",
    "PROBE_TIMEOUT_SECONDS",
    "FfmpegTools",
    "MediaProbe",
    "StreamInfo",
    "check_input_file",
    "error_lines",
    "failure_category",
    "locate_tools",
    "parse_ffmpeg_banner",
    "parse_ffprobe_json",
    "probe",
    "raise_for_ffmpeg",
    "run_tool",
]

PROBE_TIMEOUT_SECONDS = 30.0

# Loglevel that prefixes every message with its level, e.g. "[error]".
LOGLEVEL_WITH_LEVELS = "level+info"
_ERROR_LINE = re.compile(r"\[(error|fatal|panic)\]")
_LOG_PREFIX = re.compile(r"\[[^\]]*\] ")


@dataclass(frozen=True)
class FfmpegTools:
    """Paths of the ffmpeg binary and, when available, of ffprobe."""

    ffmpeg: str
    ffprobe: str | None


@dataclass(frozen=True)
class StreamInfo:
    """One audio or video stream of a media file."""

    index: int
    kind: Literal["audio", "video"]
    codec: str
    sample_rate: int | None = None
    channels: int | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None


@dataclass(frozen=True)
class MediaProbe:
    """What a media file contains. Cover art (attached pictures) is not a video stream."""

    duration: float | None
    format_name: str
    audio_streams: tuple[StreamInfo, ...]
    video_streams: tuple[StreamInfo, ...]

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)

    @property
    def has_video(self) -> bool:
        return bool(self.video_streams)


@functools.cache
def locate_tools(prefer_system: bool = True) -> FfmpegTools:
    """Find ffmpeg (system first, then imageio-ffmpeg's binary) and ffprobe if on PATH."""
    system_ffmpeg = shutil.which("ffmpeg") if prefer_system else None
    ffprobe = shutil.which("ffprobe") if prefer_system else None
    if system_ffmpeg is not None:
        return FfmpegTools(ffmpeg=system_ffmpeg, ffprobe=ffprobe)
    try:
        import imageio_ffmpeg

        bundled = str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise EngineError("no ffmpeg on PATH and imageio-ffmpeg is unavailable") from exc
    return FfmpegTools(ffmpeg=bundled, ffprobe=ffprobe)


def run_tool(args: Sequence[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """Run a command capturing stdout/stderr; a timeout kills it and raises MediaError."""
    try:
        return subprocess.run(
            list(args), capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(
            ErrorCategory.TIMEOUT, f"{Path(args[0]).name} exceeded {timeout:g} s"
        ) from exc


def error_lines(stderr: str) -> list[str]:
    """Messages logged at error level or worse, without their '[component] [level]' tags.

    Needs ffmpeg to run with `-loglevel level+...`.
    """
    lines = [line for line in stderr.splitlines() if _ERROR_LINE.search(line)]
    return [_LOG_PREFIX.sub("", line).strip() for line in lines]


def failure_category(stderr: str) -> ErrorCategory:
    """Map ffmpeg's complaint about an input to an error category."""
    lowered = stderr.lower()
    unsupported_markers = (
        "matches no streams",
        "decoder not found",
        "unknown decoder",
        "no decoder",
        "does not contain any stream",
        "output file does not contain any stream",
    )
    if any(marker in lowered for marker in unsupported_markers):
        return ErrorCategory.UNSUPPORTED_MEDIA
    return ErrorCategory.CORRUPT_FILE


def raise_for_ffmpeg(returncode: int, stderr: str, *, strict: bool) -> None:
    """Turn a finished ffmpeg run into a MediaError: a non-zero exit always, logged decoding
    errors only when `strict` (otherwise what could be decoded is used)."""
    errors = error_lines(stderr)
    if returncode != 0:
        message = errors[-1] if errors else f"ffmpeg exited with {returncode}"
        raise MediaError(failure_category(stderr), message)
    if strict and errors:
        raise MediaError(ErrorCategory.CORRUPT_FILE, "; ".join(errors[:3]))


def check_input_file(path: str | Path) -> Path:
    """Return the path if it is a non-empty file; raise MediaError otherwise."""
    file_path = Path(path)
    if not file_path.is_file():
        raise MediaError(ErrorCategory.BLOB_MISSING, f"{file_path} is not a file")
    if file_path.stat().st_size == 0:
        raise MediaError(ErrorCategory.EMPTY_FILE, f"{file_path.name} is empty")
    return file_path


def probe(
    path: str | Path,
    *,
    tools: FfmpegTools | None = None,
    timeout: float = PROBE_TIMEOUT_SECONDS,
) -> MediaProbe:
    """Describe the streams and duration of a media file (ffprobe, else `ffmpeg -i`)."""
    file_path = check_input_file(path)
    tools = tools or locate_tools()
    if tools.ffprobe is not None:
        return _probe_with_ffprobe(tools.ffprobe, file_path, timeout)
    return _probe_with_ffmpeg(tools.ffmpeg, file_path, timeout)


def _probe_with_ffprobe(ffprobe: str, path: Path, timeout: float) -> MediaProbe:
    args = [ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    result = run_tool([*args, "--", str(path)], timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        raise MediaError(failure_category(stderr), _last_line(stderr) or "ffprobe failed")
    try:
        report = json.loads(result.stdout or b"{}")
    except json.JSONDecodeError as exc:
        raise MediaError(ErrorCategory.CORRUPT_FILE, "ffprobe printed invalid JSON") from exc
    return parse_ffprobe_json(report)


def parse_ffprobe_json(report: dict[str, Any]) -> MediaProbe:
    """Build a MediaProbe from ffprobe's `-show_format -show_streams` JSON."""
    audio: list[StreamInfo] = []
    video: list[StreamInfo] = []
    durations: list[float] = []
    for stream in report.get("streams", []):
        kind = stream.get("codec_type")
        codec = str(stream.get("codec_name", "unknown"))
        index = int(stream.get("index", 0))
        if stream.get("duration") not in (None, "N/A"):
            durations.append(float(stream["duration"]))
        if kind == "audio":
            audio.append(
                StreamInfo(
                    index=index,
                    kind="audio",
                    codec=codec,
                    sample_rate=_int_or_none(stream.get("sample_rate")),
                    channels=_int_or_none(stream.get("channels")),
                )
            )
        elif kind == "video" and not stream.get("disposition", {}).get("attached_pic"):
            video.append(
                StreamInfo(
                    index=index,
                    kind="video",
                    codec=codec,
                    width=_int_or_none(stream.get("width")),
                    height=_int_or_none(stream.get("height")),
                    fps=_rate(stream.get("avg_frame_rate")) or _rate(stream.get("r_frame_rate")),
                )
            )
    container = report.get("format", {})
    duration = _float_or_none(container.get("duration"))
    if duration is None and durations:
        duration = max(durations)
    if not audio and not video:
        raise MediaError(ErrorCategory.UNSUPPORTED_MEDIA, "no audio or video stream")
    return MediaProbe(
        duration=duration,
        format_name=str(container.get("format_name", "unknown")),
        audio_streams=tuple(audio),
        video_streams=tuple(video),
    )


_INPUT_RE = re.compile(r"^Input #0, (?P<format>.+?), from ", re.MULTILINE)
_DURATION_RE = re.compile(r"Duration: (?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)")
_STREAM_RE = re.compile(
    r"^\s*Stream #0:(?P<index>\d+)\S*: (?P<kind>Audio|Video): (?P<codec>[\w-]+)(?P<rest>.*)$",
    re.MULTILINE,
)
_SAMPLE_RATE_RE = re.compile(r", (\d+) Hz")
_CHANNELS_RE = re.compile(r" Hz, (?:(\d+) channels|([\w.()]+))")
_SIZE_RE = re.compile(r", (\d{1,5})x(\d{1,5})(?=[ ,]|$)")
_FPS_RE = re.compile(r", (\d+(?:\.\d+)?)(k?) fps")
_NAMED_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "5.0": 5, "5.1": 6}


def _probe_with_ffmpeg(ffmpeg: str, path: Path, timeout: float) -> MediaProbe:
    result = run_tool([ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)], timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    if not _INPUT_RE.search(stderr):
        raise MediaError(failure_category(stderr), _last_line(stderr) or "ffmpeg failed")
    return parse_ffmpeg_banner(stderr)


def parse_ffmpeg_banner(banner: str) -> MediaProbe:
    """Build a MediaProbe from the input description that `ffmpeg -i FILE` prints."""
    format_match = _INPUT_RE.search(banner)
    duration_match = _DURATION_RE.search(banner)
    duration = None
    if duration_match:
        hours, minutes = int(duration_match["h"]), int(duration_match["m"])
        duration = hours * 3600 + minutes * 60 + float(duration_match["s"])
    audio: list[StreamInfo] = []
    video: list[StreamInfo] = []
    for match in _STREAM_RE.finditer(banner):
        rest = match["rest"]
        index, codec = int(match["index"]), match["codec"]
        if match["kind"] == "Audio":
            audio.append(
                StreamInfo(
                    index=index,
                    kind="audio",
                    codec=codec,
                    sample_rate=_first_int(_SAMPLE_RATE_RE, rest),
                    channels=_channel_count(rest),
                )
            )
        elif "(attached pic)" not in rest:
            size = _SIZE_RE.search(rest)
            fps = _FPS_RE.search(rest)
            video.append(
                StreamInfo(
                    index=index,
                    kind="video",
                    codec=codec,
                    width=int(size[1]) if size else None,
                    height=int(size[2]) if size else None,
                    fps=(float(fps[1]) * (1000 if fps[2] else 1)) if fps else None,
                )
            )
    if not audio and not video:
        raise MediaError(ErrorCategory.UNSUPPORTED_MEDIA, "no audio or video stream")
    return MediaProbe(
        duration=duration,
        format_name=format_match["format"] if format_match else "unknown",
        audio_streams=tuple(audio),
        video_streams=tuple(video),
    )


def _channel_count(stream_rest: str) -> int | None:
    match = _CHANNELS_RE.search(stream_rest)
    if match is None:
        return None
    if match[1]:
        return int(match[1])
    layout = match[2].split("(")[0]
    return _NAMED_LAYOUT_CHANNELS.get(layout)


def _first_int(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.search(text)
    return int(match[1]) if match else None


def _int_or_none(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _float_or_none(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None


def _rate(value: object) -> float | None:
    """Parse ffprobe rates such as '30000/1001'; '0/0' gives None."""
    if not isinstance(value, str) or "/" not in value:
        return None
    numerator, denominator = value.split("/", 1)
    try:
        num, den = float(numerator), float(denominator)
    except ValueError:
        return None
    return num / den if den and num else None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
