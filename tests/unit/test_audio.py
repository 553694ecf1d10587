"""Audio decoding, probing, pause-based segmentation and seam de-duplication."""

import itertools
import math
import random
import shutil
import subprocess
import sys
import wave
from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.assemble.transcript import merge_transcripts, trim_seam
from pipeline.errors import MediaError
from pipeline.sources.audio import SAMPLE_RATE, decode_audio, iter_audio_blocks, samples_to_wav
from pipeline.sources.ffmpeg import (
    FfmpegTools,
    locate_tools,
    parse_ffmpeg_banner,
    probe,
    run_tool,
)
from pipeline.sources.pauses import (
    SegmentationConfig,
    file_frame_energies,
    frame_energies,
    plan_segments,
    segment_audio_file,
    split_at_pauses,
)

FORMATS = {
    "wav": ["-c:a", "pcm_s16le"],
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    "ogg": ["-c:a", "libopus", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "128k"],
    "aiff": ["-c:a", "pcm_s16be"],
}


def _available_tools() -> dict[str, FfmpegTools]:
    found = {"bundled": locate_tools(prefer_system=False)}
    if shutil.which("ffmpeg"):
        found["system"] = locate_tools()
    return found


@pytest.fixture(params=["bundled", "system"])
def tools(request: pytest.FixtureRequest) -> FfmpegTools:
    available = _available_tools()
    if request.param not in available:
        pytest.skip("no system ffmpeg on PATH")
    return available[request.param]


def tone(
    seconds: float, frequency: float, amplitude: float, rate: int = SAMPLE_RATE
) -> list[float]:
    return [
        amplitude * math.sin(2 * math.pi * frequency * index / rate)
        for index in range(int(seconds * rate))
    ]


def silence(seconds: float, rate: int = SAMPLE_RATE) -> list[float]:
    return [0.0] * int(seconds * rate)


def write_wav(path: Path, samples: list[float], rate: int = SAMPLE_RATE, channels: int = 1) -> Path:
    """16-bit PCM WAV; with two channels the signal is duplicated into both."""
    pcm = array("h", (round(value * 32767) for value in samples for _ in range(channels)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def zero_crossing_rate(samples: array) -> float:
    crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
    return crossings / (len(samples) / SAMPLE_RATE)


def rms(samples: array) -> float:
    return math.sqrt(sum(value * value for value in samples) / max(1, len(samples)))


@pytest.fixture(scope="module")
def stereo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """44.1 kHz stereo: 0.6 s at 440 Hz, 0.6 s silence, 0.8 s at 880 Hz."""
    rate = 44_100
    signal = tone(0.6, 440, 0.5, rate) + silence(0.6, rate) + tone(0.8, 880, 0.5, rate)
    return write_wav(tmp_path_factory.mktemp("audio") / "source.wav", signal, rate, channels=2)


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_decode_any_format_to_16k_mono(
    extension: str, stereo_source: Path, tools: FfmpegTools, tmp_path: Path
) -> None:
    encoded = tmp_path / f"clip.{extension}"
    command = [tools.ffmpeg, "-loglevel", "error", "-y", "-i", str(stereo_source)]
    subprocess.run([*command, *FORMATS[extension], str(encoded)], check=True)

    samples = decode_audio(encoded, tools=tools)

    assert isinstance(samples, array)
    assert samples.typecode == "f"
    assert abs(len(samples) / SAMPLE_RATE - 2.0) < 0.1  # codecs may pad a few ms
    media = probe(encoded, tools=tools)
    assert media.has_audio
    assert not media.has_video
    assert media.duration is not None
    assert abs(media.duration - 2.0) < 0.1
    # The tones keep their pitch (so the resampling is right) and the pause stays silent.
    first = samples[int(0.1 * SAMPLE_RATE) : int(0.5 * SAMPLE_RATE)]
    pause = samples[int(0.75 * SAMPLE_RATE) : int(1.05 * SAMPLE_RATE)]
    last = samples[int(1.35 * SAMPLE_RATE) : int(1.9 * SAMPLE_RATE)]
    assert zero_crossing_rate(first) == pytest.approx(880, rel=0.05)
    assert zero_crossing_rate(last) == pytest.approx(1760, rel=0.05)
    assert rms(first) > 0.2
    assert rms(pause) < 0.01


def test_decode_a_time_range(stereo_source: Path, tools: FfmpegTools) -> None:
    samples = decode_audio(stereo_source, start=1.3, duration=0.5, tools=tools)

    assert len(samples) == pytest.approx(0.5 * SAMPLE_RATE, abs=80)
    assert zero_crossing_rate(samples) == pytest.approx(1760, rel=0.05)


def test_streaming_blocks_and_energies_match_whole_decode(
    stereo_source: Path, tools: FfmpegTools
) -> None:
    whole = decode_audio(stereo_source, tools=tools)
    blocks = list(iter_audio_blocks(stereo_source, block_seconds=0.33, tools=tools))

    assert len(blocks) > 3
    assert array("f", [value for block in blocks for value in block]) == whole
    streamed = file_frame_energies(stereo_source, tools=tools)
    assert streamed == pytest.approx(frame_energies(whole), abs=1e-6)


def test_corrupt_empty_and_missing_files(tmp_path: Path, tools: FfmpegTools) -> None:
    corrupt = tmp_path / "bad.wav"
    corrupt.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt \xff\xff\x00\x00" + bytes(range(20)))
    empty = tmp_path / "empty.mp3"
    empty.touch()

    with pytest.raises(MediaError) as corrupt_error:
        decode_audio(corrupt, tools=tools)
    with pytest.raises(MediaError) as probe_error:
        probe(corrupt, tools=tools)
    with pytest.raises(MediaError) as empty_error:
        decode_audio(empty, tools=tools)
    with pytest.raises(MediaError) as missing:
        decode_audio(tmp_path / "missing.wav", tools=tools)

    assert missing.value.category == "blob_missing"
    assert corrupt_error.value.category == "corrupt_file"
    assert probe_error.value.category == "corrupt_file"
    assert empty_error.value.category == "empty_file"


def test_truncated_flac_is_lenient_by_default_and_fails_when_strict(
    stereo_source: Path, tools: FfmpegTools, tmp_path: Path
) -> None:
    flac = tmp_path / "clip.flac"
    subprocess.run(
        [tools.ffmpeg, "-loglevel", "error", "-i", str(stereo_source), str(flac)], check=True
    )
    truncated = tmp_path / "truncated.flac"
    truncated.write_bytes(flac.read_bytes()[: flac.stat().st_size // 2])

    partial = decode_audio(truncated, tools=tools)
    with pytest.raises(MediaError) as error:
        decode_audio(truncated, tools=tools, strict=True)

    assert 0 < len(partial) < 2.0 * SAMPLE_RATE
    assert error.value.category == "corrupt_file"


def test_subprocess_timeouts_raise_timeout_category(stereo_source: Path) -> None:
    with pytest.raises(MediaError) as run_error:
        run_tool([sys.executable, "-c", "import time; time.sleep(10)"], timeout=0.2)
    with pytest.raises(MediaError) as stream_error:
        list(iter_audio_blocks(stereo_source, timeout=0.001))

    assert run_error.value.category == "timeout"
    assert stream_error.value.category == "timeout"


def test_parse_ffmpeg_banner_skips_cover_art_and_reads_layouts() -> None:
    banner = """Input #0, mp3, from 'song.mp3':
  Duration: 01:02:03.50, start: 0.025057, bitrate: 128 kb/s
  Stream #0:0: Audio: mp3 (mp3float), 48000 Hz, 5.1(side), fltp, 128 kb/s
  Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc), 600x600, 90k tbr (attached pic)
"""
    media = parse_ffmpeg_banner(banner)

    assert media.duration == pytest.approx(3723.5)
    assert media.format_name == "mp3"
    assert [(s.codec, s.sample_rate, s.channels) for s in media.audio_streams] == [
        ("mp3", 48000, 6)
    ]
    assert not media.has_video


def test_probe_paths_agree(stereo_source: Path) -> None:
    bundled = locate_tools(prefer_system=False)
    banner_probe = probe(stereo_source, tools=FfmpegTools(ffmpeg=bundled.ffmpeg, ffprobe=None))

    assert banner_probe.audio_streams[0].sample_rate == 44_100
    assert banner_probe.audio_streams[0].channels == 2
    if shutil.which("ffprobe"):
        ffprobe_probe = probe(stereo_source, tools=locate_tools())
        assert ffprobe_probe.audio_streams == banner_probe.audio_streams
        assert ffprobe_probe.duration == pytest.approx(banner_probe.duration, abs=0.02)


# ---------------------------------------------------------------- segmentation


def test_all_silent_or_faint_noise_gives_no_segment() -> None:
    rng = random.Random(7)
    faint_noise = [rng.uniform(-3e-4, 3e-4) for _ in range(SAMPLE_RATE * 3)]

    assert split_at_pauses(silence(5.0)) == []
    assert split_at_pauses(faint_noise) == []
    assert split_at_pauses([]) == []


def bursts(level: float, noise: float = 0.0, seed: int = 3) -> list[float]:
    """0.5 s quiet, then three 1 s bursts separated by 1 s pauses, then 0.5 s quiet."""
    rng = random.Random(seed)
    signal = silence(0.5)
    for index in range(3):
        signal += tone(1.0, 300 + 100 * index, level)
        signal += silence(1.0 if index < 2 else 0.5)
    return [value + rng.uniform(-noise, noise) for value in signal]


@pytest.mark.parametrize(
    ("level", "noise"),
    [(0.5, 0.0), (0.02, 0.0), (0.5, 0.02)],
    ids=["loud", "quiet-recording", "noisy-floor"],
)
def test_bursts_are_found_with_an_adaptive_threshold(level: float, noise: float) -> None:
    signal = bursts(level, noise)
    short = SegmentationConfig(max_seconds=2.0, cut_search_seconds=1.0, overlap_seconds=0.2)

    packed = split_at_pauses(signal)
    separate = split_at_pauses(signal, short)

    assert len(packed) == 1
    assert packed[0].start == pytest.approx(0.5, abs=0.25)
    assert packed[0].end == pytest.approx(5.5, abs=0.25)
    assert len(separate) == 3
    for index, segment in enumerate(separate):
        burst_start = 0.5 + 2.0 * index
        assert burst_start - 0.25 <= segment.start <= burst_start + 0.05
        assert burst_start + 0.95 <= segment.end <= burst_start + 1.25


def test_speech_without_pause_is_cut_at_the_quietest_point_with_overlap() -> None:
    # 70 s of continuous sound with brief dips (too short to be pauses) at 27 s and 55 s.
    signal = tone(70.0, 220, 0.4)
    for dip in (27.0, 55.0):
        first = int(dip * SAMPLE_RATE)
        for index in range(first, first + int(0.1 * SAMPLE_RATE)):
            signal[index] *= 0.05
    config = SegmentationConfig(max_seconds=30.0, overlap_seconds=0.5, cut_search_seconds=5.0)

    segments = split_at_pauses(signal, config)

    assert len(segments) == 3
    assert all(segment.duration <= 30.0 for segment in segments)
    assert segments[0].start == 0.0
    assert segments[-1].end == pytest.approx(70.0, abs=0.02)
    assert segments[0].end == pytest.approx(27.1, abs=0.1)
    assert segments[1].start == pytest.approx(segments[0].end - 0.5, abs=0.02)
    assert segments[1].end == pytest.approx(55.1, abs=0.1)


def test_file_segmentation_matches_in_memory_segmentation(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "bursts.wav", bursts(0.5))
    config = SegmentationConfig(max_seconds=2.0, cut_search_seconds=1.0, overlap_seconds=0.2)

    from_file = segment_audio_file(path, config)
    in_memory = split_at_pauses(decode_audio(path), config)

    assert len(from_file) == len(in_memory) == 3
    assert [t for s in from_file for t in (s.start, s.end)] == pytest.approx(
        [t for s in in_memory for t in (s.start, s.end)], abs=0.021
    )


@settings(max_examples=60, deadline=None)
@given(
    energies=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=0, max_size=2500),
    max_seconds=st.sampled_from([3.0, 5.0, 30.0]),
)
def test_segments_respect_the_limit_and_stay_in_order(
    energies: list[float], max_seconds: float
) -> None:
    config = SegmentationConfig(max_seconds=max_seconds, cut_search_seconds=1.0)
    total = len(energies) * config.frame_seconds

    segments = plan_segments(energies, config)

    for segment in segments:
        assert 0.0 <= segment.start < segment.end <= total + 1e-9
        assert segment.duration <= max_seconds + 1e-9
    for previous, following in itertools.pairwise(segments):
        assert following.start > previous.start
        assert previous.end - following.start <= config.overlap_seconds + 1e-9


# ---------------------------------------------------------------- seams and WAV


def test_trim_seam_removes_words_repeated_across_the_overlap() -> None:
    assert trim_seam("ask not what your country", "Your country, can do for you") == (
        "ask not what your country",
        "can do for you",
    )
    # A word clipped by the cut, at the end of the first or the start of the second text.
    assert trim_seam("you can do for your coun", "for your country") == (
        "you can do for your",
        "country",
    )
    assert trim_seam("ask what you can do", "ou can do for your country") == (
        "ask what you can do",
        "for your country",
    )
    assert trim_seam("my fellow Americans", "ask not") == ("my fellow Americans", "ask not")


def test_merge_transcripts_joins_segments_without_repeats() -> None:
    merged = merge_transcripts(
        ["and so my fellow", "my fellow Americans ask not", "ask not what your country"]
    )

    assert merged == "and so my fellow Americans ask not what your country"


def test_samples_to_wav_round_trip(tmp_path: Path) -> None:
    samples = array("f", [0.0, 0.5, -0.5, 1.5, -1.5])
    path = tmp_path / "out.wav"
    path.write_bytes(samples_to_wav(samples))

    with wave.open(str(path), "rb") as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        assert reader.getframerate() == SAMPLE_RATE
        values = array("h", reader.readframes(reader.getnframes()))
    assert list(values) == [0, 16384, -16384, 32767, -32768]
