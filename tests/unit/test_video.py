"""Keyframes, audio track extraction, broken videos and the video timeline."""

import io
import itertools
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.assemble.timeline import build_timeline
from pipeline.assemble.transcript import normalise_word
from pipeline.errors import MediaError
from pipeline.local.asr import IsolatedMoonshineEngine, transcribe
from pipeline.sources import video
from pipeline.sources.audio import SAMPLE_RATE, decode_audio
from pipeline.sources.ffmpeg import FfmpegTools, locate_tools, probe
from pipeline.sources.video import (
    Keyframe,
    KeyframePolicy,
    extract_audio,
    extract_frame,
    extract_keyframes,
    keyframe_times,
    select_expression,
    split_png_stream,
)
from schemas.timeline import TimelineFrame, TimelineSpeech, VideoTimeline
from schemas.transcript import TranscriptSegment
from tests.support.media import SPEECH_CLIP, SPEECH_WORDS

SLIDE_SECONDS = 3
FPS = 5
# Backgrounds far apart in brightness so that each change is a clear scene cut.
SLIDES = [
    ("ALPHA", (0, 0, 0)),
    ("BRAVO", (255, 255, 255)),
    ("CHARLIE", (0, 0, 160)),
    ("DELTA", (250, 220, 0)),
]


def _available_tools() -> dict[str, FfmpegTools]:
    found = {"bundled": locate_tools(prefer_system=False)}
    if shutil.which("ffmpeg"):
        found["system"] = locate_tools()
    return found


@pytest.fixture(scope="module", params=["bundled", "system"])
def tools(request: pytest.FixtureRequest) -> FfmpegTools:
    available = _available_tools()
    if request.param not in available:
        pytest.skip("no system ffmpeg on PATH")
    return available[request.param]


def corner_color(image: Image.Image) -> tuple[int, ...]:
    color = image.convert("RGB").getpixel((4, 4))
    assert isinstance(color, tuple)
    return color


def render_frames(folder: Path, slides: list[tuple[str, tuple[int, int, int]]]) -> str:
    """One PNG per video frame: each slide shows its word for SLIDE_SECONDS."""
    font = ImageFont.load_default(size=48)
    index = 0
    for word, background in slides:
        image = Image.new("RGB", (320, 240), background)
        ink = (255, 255, 255) if sum(background) < 384 else (0, 0, 0)
        ImageDraw.Draw(image).text((30, 90), word, fill=ink, font=font)
        for _ in range(SLIDE_SECONDS * FPS):
            image.save(folder / f"frame_{index:03d}.png")
            index += 1
    return str(folder / "frame_%03d.png")


def encode(tools: FfmpegTools, frames: str, output: Path, audio: Path | None = None) -> Path:
    command = [tools.ffmpeg, "-loglevel", "error", "-y", "-framerate", str(FPS), "-i", frames]
    if audio is not None:
        command += ["-i", str(audio), "-c:a", "aac", "-shortest"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(output)]
    subprocess.run(command, check=True)
    return output


@pytest.fixture(scope="module")
def videos(tools: FfmpegTools, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("video")
    slides = render_frames(folder, SLIDES)
    made = {
        "speech": encode(tools, slides, folder / "slides_speech.mp4", SPEECH_CLIP),
        "mute": encode(tools, slides, folder / "slides_mute.mp4"),
    }
    static_folder = folder / "static"
    static_folder.mkdir()
    made["static"] = encode(
        tools, render_frames(static_folder, [SLIDES[0]] * 4), folder / "static.mp4"
    )
    whole = made["speech"].read_bytes()
    made["truncated"] = folder / "truncated.mp4"
    made["truncated"].write_bytes(whole[: len(whole) // 2])
    no_index = folder / "no_index.mp4"  # index (moov) at the end, then cut off
    subprocess.run(
        [
            tools.ffmpeg,
            "-loglevel",
            "error",
            "-i",
            str(made["speech"]),
            "-c",
            "copy",
            str(no_index),
        ],
        check=True,
    )
    made["no_index"] = folder / "no_index_truncated.mp4"
    made["no_index"].write_bytes(no_index.read_bytes()[: no_index.stat().st_size // 2])
    return made


@pytest.mark.models
def test_probe_describes_the_generated_video(videos: dict[str, Path], tools: FfmpegTools) -> None:
    media = probe(videos["speech"], tools=tools)
    banner_only = probe(videos["speech"], tools=FfmpegTools(ffmpeg=tools.ffmpeg, ffprobe=None))

    for described in (media, banner_only):
        assert described.has_video
        assert described.has_audio
        stream = described.video_streams[0]
        assert (stream.codec, stream.width, stream.height) == ("h264", 320, 240)
        assert stream.fps == pytest.approx(FPS)
        assert described.duration is not None
        assert 10.7 <= described.duration <= 12.1  # -shortest trims the video on some versions
    assert media.duration == pytest.approx(banner_only.duration, abs=0.02)
    assert not probe(videos["mute"], tools=tools).has_audio


@pytest.mark.models
def test_keyframes_follow_scene_changes(videos: dict[str, Path], tools: FfmpegTools) -> None:
    policy = KeyframePolicy(max_per_minute=30, max_gap_seconds=20)

    times = keyframe_times(videos["mute"], policy, tools=tools)

    changes = [index * SLIDE_SECONDS for index in range(len(SLIDES))]
    assert len(times) == len(changes)
    assert times == pytest.approx(changes, abs=1.0 / FPS + 1e-6)


@pytest.mark.models
def test_frames_per_minute_cap_delays_changes_to_the_end_of_the_cool_down(
    videos: dict[str, Path], tools: FfmpegTools
) -> None:
    # At most 12 frames a minute, so no two frames closer than 5 s: the change at 3 s is
    # taken at 5 s, and the changes at 6 s and 9 s are taken together at 10 s.
    policy = KeyframePolicy(max_per_minute=12, max_gap_seconds=30)

    times = keyframe_times(videos["mute"], policy, tools=tools)

    assert all(b - a >= 5.0 - 1e-6 for a, b in itertools.pairwise(times))
    assert times == pytest.approx([0.0, 5.0, 10.0], abs=1.0 / FPS + 1e-6)


@pytest.mark.models
def test_static_video_still_gets_a_frame_every_max_gap(
    videos: dict[str, Path], tools: FfmpegTools
) -> None:
    policy = KeyframePolicy(max_per_minute=30, max_gap_seconds=4.0)

    times = keyframe_times(videos["static"], policy, tools=tools)

    assert times == pytest.approx([0.0, 4.0, 8.0], abs=1.0 / FPS + 1e-6)


@pytest.mark.models
def test_extract_keyframes_returns_images_of_the_right_slides(
    videos: dict[str, Path], tools: FfmpegTools
) -> None:
    policy = KeyframePolicy(max_per_minute=30, max_gap_seconds=20)

    frames = extract_keyframes(videos["speech"], policy, max_side=160, tools=tools)

    assert len(frames) == len(SLIDES)
    for frame in frames:
        image = frame.image()
        assert image.size == (160, 120)
        slide = SLIDES[min(len(SLIDES) - 1, int(frame.timestamp // SLIDE_SECONDS))]
        corner = corner_color(image)
        assert all(abs(a - b) <= 24 for a, b in zip(corner, slide[1], strict=True))


@pytest.mark.models
def test_extract_frame_at_a_time(videos: dict[str, Path], tools: FfmpegTools) -> None:
    png = extract_frame(videos["mute"], 7.0, max_side=None, tools=tools)

    image = Image.open(io.BytesIO(png))
    assert image.size == (320, 240)
    assert all(abs(a - b) <= 24 for a, b in zip(corner_color(image), SLIDES[2][1], strict=True))


@pytest.mark.models
def test_fallback_seeks_at_intervals_when_selection_yields_nothing(
    videos: dict[str, Path], tools: FfmpegTools, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(video, "_run_selection", lambda *args: ([], []))
    policy = KeyframePolicy(max_per_minute=30, max_gap_seconds=5.0)

    frames = extract_keyframes(videos["mute"], policy, tools=tools)

    assert [frame.timestamp for frame in frames] == [0.0, 5.0, 10.0]
    assert all(frame.image().size == (320, 240) for frame in frames)


@pytest.mark.models
def test_audio_track_is_extracted_and_transcribed(
    videos: dict[str, Path], tools: FfmpegTools, asr_engine: IsolatedMoonshineEngine
) -> None:
    samples = extract_audio(videos["speech"], tools=tools)

    assert samples is not None
    assert len(samples) / SAMPLE_RATE == pytest.approx(11.0, abs=0.3)
    timed = transcribe(samples, engine=asr_engine)
    heard = [normalise_word(word) for _, _, text in timed for word in text.split()]
    matched = sum((Counter(SPEECH_WORDS) & Counter(heard)).values())
    assert matched / len(SPEECH_WORDS) >= 0.85


@pytest.mark.models
def test_video_without_audio(videos: dict[str, Path], tools: FfmpegTools) -> None:
    assert extract_audio(videos["mute"], tools=tools) is None
    with pytest.raises(MediaError) as error:
        decode_audio(videos["mute"], tools=tools)
    assert error.value.category == "unsupported_media"
    assert keyframe_times(videos["mute"], tools=tools)


@pytest.mark.parametrize("name", ["truncated", "no_index"])
@pytest.mark.models
def test_truncated_video_fails_clearly(
    name: str, videos: dict[str, Path], tools: FfmpegTools
) -> None:
    for operation in (keyframe_times, extract_keyframes, extract_audio):
        with pytest.raises(MediaError) as error:
            operation(videos[name], tools=tools)
        assert error.value.category == "corrupt_file"


def test_audio_file_is_not_a_video(tools: FfmpegTools) -> None:
    with pytest.raises(MediaError) as error:
        keyframe_times(SPEECH_CLIP, tools=tools)
    assert error.value.category == "unsupported_media"


def test_policy_validation_and_expression() -> None:
    with pytest.raises(ValueError, match="max_gap_seconds"):
        KeyframePolicy(max_per_minute=6, max_gap_seconds=5)
    expression = select_expression(KeyframePolicy(scene_threshold=0.25, max_per_minute=10))
    assert "gt(scene,0.25)" in expression
    assert "gte(t-prev_selected_t,6.0)" in expression


def test_split_png_stream() -> None:
    pngs = []
    for color in ("red", "blue"):
        buffer = io.BytesIO()
        Image.new("RGB", (3, 2), color).save(buffer, format="PNG")
        pngs.append(buffer.getvalue())

    assert split_png_stream(pngs[0] + pngs[1]) == pngs
    assert split_png_stream(b"") == []
    with pytest.raises(MediaError):
        split_png_stream(pngs[0] + b"garbage")
    with pytest.raises(MediaError):
        split_png_stream(pngs[0][:-5])


def test_timeline_interleaves_frames_and_speech_in_time_order() -> None:
    timeline = build_timeline(
        [(6.0, "CHARLIE"), (0.0, "ALPHA"), (3.0, " BRAVO "), (9.0, "")],
        [
            TranscriptSegment(start=5.2, end=11.0, text="what your country can do"),
            TranscriptSegment(start=0.0, end=4.5, text="and so my fellow Americans"),
        ],
        duration=12.0,
    )

    kinds = [
        (item.kind, item.timestamp if isinstance(item, TimelineFrame) else item.start)
        for item in timeline.data.items
    ]
    assert kinds == [
        ("frame", 0.0),
        ("speech", 0.0),
        ("frame", 3.0),
        ("speech", 5.2),
        ("frame", 6.0),
        ("frame", 9.0),
    ]
    assert timeline.data.text.split("\n") == [
        "ALPHA",
        "and so my fellow Americans",
        "BRAVO",
        "what your country can do",
        "CHARLIE",
    ]
    restored = VideoTimeline.model_validate_json(timeline.model_dump_json())
    assert restored == timeline
    assert isinstance(restored.data.items[1], TimelineSpeech)


def test_keyframe_image_round_trip() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (5, 4), "green").save(buffer, format="PNG")

    frame = Keyframe(timestamp=1.5, png=buffer.getvalue())

    assert frame.image().size == (5, 4)
