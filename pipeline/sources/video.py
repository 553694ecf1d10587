"""Keyframes at scene changes and the audio track of a video, with ffmpeg.

Keyframes come from one decoding pass with ffmpeg's `select` filter: the first frame,
any frame whose scene-change score passes a threshold (at most `max_per_minute`
frames, a change seen during the cool-down being taken when it ends), and at least
one frame every `max_gap_seconds`. If that pass yields nothing, frames are grabbed by
seeking at regular times instead. Decoding errors (a truncated file) raise
`corrupt_file` unless `strict=False`.
"""

from __future__ import annotations

import io
import re
import struct
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
from PIL import Image

from pipeline.errors import MediaError
from pipeline.sources.audio import decode_audio
from pipeline.sources.ffmpeg import (
    LOGLEVEL_WITH_LEVELS,
    FfmpegTools,
    check_input_file,
    locate_tools,
    probe,
    raise_for_ffmpeg,
    run_tool,
)
from schemas.enums import ErrorCategory

__all__ = [
    "DEFAULT_MAX_SIDE",
    "VIDEO_TIMEOUT_SECONDS",
    "Keyframe",
    "KeyframePolicy",
    "extract_audio",
    "extract_frame",
    "extract_keyframes",
    "keyframe_times",
    "select_expression",
    "split_png_stream",
]

VIDEO_TIMEOUT_SECONDS = 900.0
DEFAULT_MAX_SIDE = 1280
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SHOWINFO_TIME = re.compile(r"\[Parsed_showinfo_\d+ @ [^\]]*\].*?\bpts_time:\s*(-?[\d.]+)")


@dataclass(frozen=True)
class KeyframePolicy:
    """When to take a frame: scene changes, capped per minute, and a maximum gap."""

    scene_threshold: float = 0.3
    max_per_minute: float = 6.0
    max_gap_seconds: float = 30.0

    @property
    def min_gap_seconds(self) -> float:
        return 60.0 / self.max_per_minute

    def __post_init__(self) -> None:
        if self.max_per_minute <= 0 or not 0 < self.scene_threshold < 1:
            raise ValueError("max_per_minute must be positive and scene_threshold in (0, 1)")
        if self.max_gap_seconds < self.min_gap_seconds:
            raise ValueError("max_gap_seconds must be at least 60 / max_per_minute")


@dataclass(frozen=True)
class Keyframe:
    """A frame taken from a video: its time in seconds and the PNG image."""

    timestamp: float
    png: bytes

    def image(self) -> Image.Image:
        """Decode the PNG into a Pillow image."""
        return Image.open(io.BytesIO(self.png))


def select_expression(policy: KeyframePolicy) -> str:
    """ffmpeg `select` expression implementing the policy.

    Variable 0 remembers a scene change seen during the cool-down; variable 1 holds the
    decision for the current frame, and selecting a frame clears the pending change.
    """
    elapsed = "t-prev_selected_t"
    return (
        f"st(0,max(ld(0),gt(scene,{policy.scene_threshold})));"
        f"st(1,isnan(prev_selected_t)+gte({elapsed},{policy.max_gap_seconds})"
        f"+ld(0)*gte({elapsed},{policy.min_gap_seconds}));"
        "if(ld(1),st(0,0));"
        "ld(1)"
    )


def _scale_to_max_side(stream: Any, max_side: int | None) -> Any:
    if max_side is None:
        return stream
    return stream.filter(
        "scale",
        w=f"min(iw,{max_side})",
        h=f"min(ih,{max_side})",
        force_original_aspect_ratio="decrease",
    )


def _compile(output: Any, tools: FfmpegTools) -> list[str]:
    quiet = output.global_args("-hide_banner", "-nostdin", "-nostats")
    command = quiet.global_args("-loglevel", LOGLEVEL_WITH_LEVELS).compile(cmd=tools.ffmpeg)
    return [str(arg) for arg in command]


def _run_selection(
    path: Path,
    policy: KeyframePolicy,
    max_side: int | None,
    with_images: bool,
    tools: FfmpegTools,
    timeout: float,
    strict: bool,
) -> tuple[list[float], list[bytes]]:
    selected = ffmpeg.input(str(path))["v:0"].filter("select", select_expression(policy))
    if with_images:
        selected = _scale_to_max_side(selected, max_side)
    shown = selected.filter("showinfo")
    if with_images:
        output = shown.output("pipe:", format="image2pipe", vcodec="png", fps_mode="passthrough")
    else:
        output = shown.output("-", format="null")
    result = run_tool(_compile(output, tools), timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    raise_for_ffmpeg(result.returncode, stderr, strict=strict)
    times = [float(match[1]) for match in _SHOWINFO_TIME.finditer(stderr)]
    images = split_png_stream(result.stdout) if with_images else []
    if with_images and len(images) != len(times):
        raise MediaError(
            ErrorCategory.CORRUPT_FILE, f"{len(images)} frames decoded for {len(times)} selected"
        )
    return times, images


def split_png_stream(data: bytes) -> list[bytes]:
    """Split concatenated PNG files (ffmpeg's image2pipe output) at their IEND chunks."""
    images: list[bytes] = []
    position = 0
    while position < len(data):
        if not data.startswith(_PNG_SIGNATURE, position):
            raise MediaError(ErrorCategory.CORRUPT_FILE, "ffmpeg produced an invalid PNG stream")
        cursor = position + len(_PNG_SIGNATURE)
        while True:
            if cursor + 8 > len(data):
                raise MediaError(ErrorCategory.CORRUPT_FILE, "ffmpeg produced a truncated PNG")
            (length,) = struct.unpack(">I", data[cursor : cursor + 4])
            chunk_type = data[cursor + 4 : cursor + 8]
            cursor += 12 + length
            if chunk_type == b"IEND":
                break
        images.append(data[position:cursor])
        position = cursor
    return images


def _require_video(path: Path, tools: FfmpegTools) -> float | None:
    media = probe(path, tools=tools)
    if not media.has_video:
        raise MediaError(ErrorCategory.UNSUPPORTED_MEDIA, f"{path.name} has no video stream")
    return media.duration


def _fallback_times(duration: float | None, policy: KeyframePolicy) -> list[float]:
    if not duration:
        return [0.0]
    count = int(duration // policy.max_gap_seconds) + 1
    return [round(index * policy.max_gap_seconds, 3) for index in range(count)]


def keyframe_times(
    path: str | Path,
    policy: KeyframePolicy | None = None,
    *,
    tools: FfmpegTools | None = None,
    timeout: float = VIDEO_TIMEOUT_SECONDS,
    strict: bool = True,
) -> list[float]:
    """Timestamps (seconds) of the keyframes the policy selects, without keeping images."""
    file_path = check_input_file(path)
    tools = tools or locate_tools()
    policy = policy or KeyframePolicy()
    duration = _require_video(file_path, tools)
    times, _ = _run_selection(file_path, policy, None, False, tools, timeout, strict)
    return times or _fallback_times(duration, policy)


def extract_frame(
    path: str | Path,
    timestamp: float,
    *,
    max_side: int | None = DEFAULT_MAX_SIDE,
    tools: FfmpegTools | None = None,
    timeout: float = 60.0,
) -> bytes:
    """PNG of the frame shown at `timestamp` seconds, at most `max_side` px on each side."""
    file_path = check_input_file(path)
    tools = tools or locate_tools()
    source = ffmpeg.input(str(file_path), ss=max(0.0, timestamp))["v:0"]
    output = _scale_to_max_side(source, max_side).output(
        "pipe:", format="image2pipe", vcodec="png", frames="1"
    )
    result = run_tool(_compile(output, tools), timeout)
    stderr = result.stderr.decode("utf-8", "replace")
    raise_for_ffmpeg(result.returncode, stderr, strict=False)
    images = split_png_stream(result.stdout)
    if not images:
        raise MediaError(
            ErrorCategory.CORRUPT_FILE, f"no frame could be decoded at {timestamp:g} s"
        )
    return images[0]


def extract_keyframes(
    path: str | Path,
    policy: KeyframePolicy | None = None,
    *,
    max_side: int | None = DEFAULT_MAX_SIDE,
    tools: FfmpegTools | None = None,
    timeout: float = VIDEO_TIMEOUT_SECONDS,
    strict: bool = True,
) -> list[Keyframe]:
    """Keyframes with their PNG images in one decoding pass (fallback: seek at intervals).

    Every image is held in memory: for long videos use `keyframe_times` and then
    `extract_frame` per frame.
    """
    file_path = check_input_file(path)
    tools = tools or locate_tools()
    policy = policy or KeyframePolicy()
    duration = _require_video(file_path, tools)
    times, images = _run_selection(file_path, policy, max_side, True, tools, timeout, strict)
    if times:
        return [Keyframe(round(t, 3), png) for t, png in zip(times, images, strict=True)]
    return [
        Keyframe(t, extract_frame(file_path, t, max_side=max_side, tools=tools))
        for t in _fallback_times(duration, policy)
    ]


def extract_audio(
    path: str | Path,
    *,
    tools: FfmpegTools | None = None,
    timeout: float = VIDEO_TIMEOUT_SECONDS,
    strict: bool = True,
) -> array[float] | None:
    """The video's first audio track as 16 kHz mono float32 samples, or None if it has none.

    The whole track is held in memory (about 230 MB per hour): for long videos, plan
    segments with `pipeline.sources.audio.segment_audio_file` and decode each with `decode_audio`.
    """
    file_path = check_input_file(path)
    tools = tools or locate_tools()
    if not probe(file_path, tools=tools).has_audio:
        return None
    return decode_audio(file_path, tools=tools, timeout=timeout, strict=strict)
