"""Word error rate, keyframes and real-time factor of the embedded CPU audio/video path.

Usage (from the repository root): python -m eval.asr_eval [CORPUS]   (default ../shared/corpus)

Reads CORPUS/MANIFEST.tsv: every audio/ clip of kind audio-speech with a reference
transcript is transcribed and scored; the silent and broken clips are checked for an
empty transcript and a categorised error; every video/*.mp4 is transcribed and its
keyframes counted. Finally the ASR real-time factor is measured with 1 and 2 processes.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import re
import tempfile
import time
from array import array
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path

from pipeline.chunking.media import KEYFRAMES
from pipeline.errors import MediaError
from pipeline.local.asr import (
    IsolatedMoonshineEngine,
    MoonshineEngine,
    SpeechEngine,
    transcribe,
    transcribe_file,
)
from pipeline.sources.audio import SAMPLE_RATE, decode_audio, samples_to_wav
from pipeline.sources.ffmpeg import locate_tools
from pipeline.sources.video import keyframe_times

_SPELLED_OUT = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint"}
_TIME_MARK = re.compile(r"\[time:[^\]]*\]")


@dataclass
class ScoredClip:
    name: str
    seconds: float  # decoding + segmentation + transcription
    errors: int
    reference_words: int
    hypothesis: str

    @property
    def wer(self) -> float:
        return self.errors / max(1, self.reference_words)


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation; hyphens split words; common titles spelled out."""
    text = _TIME_MARK.sub(" ", text).lower().replace("-", " ")
    words = [re.sub(r"[^\w']+", "", word).strip("'") for word in text.split()]
    return [_SPELLED_OUT.get(word, word) for word in words if word]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Substitutions + deletions + insertions turning reference into hypothesis."""
    previous = list(range(len(hypothesis) + 1))
    for row, ref_word in enumerate(reference, start=1):
        current = [row]
        for column, hyp_word in enumerate(hypothesis, start=1):
            substitution = previous[column - 1] + (ref_word != hyp_word)
            current.append(min(substitution, previous[column] + 1, current[column - 1] + 1))
        previous = current
    return previous[-1]


def load_manifest(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "MANIFEST.tsv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def reference_for(corpus: Path, row: dict[str, str]) -> Path | None:
    """The clip's transcript: transcripts/<stem>.txt, or the .ref.txt its notes point to."""
    media = Path(row["local_path"])
    own = corpus / media.parent / "transcripts" / f"{media.stem}.txt"
    if own.is_file():
        return own
    named = re.search(r"see (\S+\.ref\.txt)", row.get("notes", ""))
    if named:
        candidate = corpus / "audio" / "transcripts" / named[1]
        return candidate if candidate.is_file() else None
    return None


def score(engine: SpeechEngine, name: str, path: Path, reference_text: str) -> ScoredClip:
    started = time.perf_counter()
    transcript = transcribe_file(path, engine=engine)
    elapsed = time.perf_counter() - started
    ref_words = normalise(reference_text)
    hyp = transcript.data.text
    errors = edit_distance(ref_words, normalise(hyp))
    return ScoredClip(name, elapsed, errors, len(ref_words), hyp)


def score_concatenation(
    engine: SpeechEngine, paths: list[Path], references: list[str]
) -> ScoredClip:
    """All speech clips back to back in one WAV: exercises segmentation of long audio."""
    joined: array[float] = array("f")
    for path in paths:
        joined.extend(decode_audio(path))
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "all_speech.wav"
        wav.write_bytes(samples_to_wav(joined))
        name = f"all speech clips concatenated ({len(joined) / SAMPLE_RATE:.1f} s)"
        return score(engine, name, wav, " ".join(references))


def report_wer(title: str, clips: list[ScoredClip]) -> None:
    print(f"\n## {title}")
    print(f"{'clip':58} {'WER':>6}  ref words  time (s)  hypothesis")
    for clip in clips:
        print(
            f"{clip.name:58} {clip.wer:6.3f}  {clip.reference_words:9d}  {clip.seconds:8.2f}"
            f"  {clip.hypothesis[:60]}"
        )
    total_errors = sum(clip.errors for clip in clips)
    total_words = sum(clip.reference_words for clip in clips)
    print(f"{'overall (errors / reference words)':58} {total_errors / max(1, total_words):6.3f}")


def _transcribe_shard(
    shard: list[array[float]],
    barrier: Barrier,
    results: multiprocessing.Queue[tuple[float, float]],
) -> None:
    engine = MoonshineEngine()  # in this process, so that its CPU time is counted; loaded untimed
    barrier.wait()
    started, cpu_started = time.perf_counter(), time.process_time()
    for samples in shard:
        transcribe(samples, engine=engine)
    results.put((time.perf_counter() - started, time.process_time() - cpu_started))


def real_time_factor(clips: list[array[float]], processes: int) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, wall / audio seconds) to transcribe clips with N processes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results: multiprocessing.Queue[tuple[float, float]] = context.Queue()
    ordered = sorted(clips, key=len, reverse=True)
    shards = [ordered[index::processes] for index in range(processes)]
    workers = [
        context.Process(target=_transcribe_shard, args=(shard, barrier, results))
        for shard in shards
    ]
    for worker in workers:
        worker.start()
    timings = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    wall = max(elapsed for elapsed, _ in timings)
    audio_seconds = sum(len(clip) for clip in clips) / SAMPLE_RATE
    return wall, sum(cpu for _, cpu in timings), wall / audio_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", default="../shared/corpus", type=Path)
    corpus = parser.parse_args().corpus
    tools = locate_tools()
    print(f"ffmpeg: {tools.ffmpeg}  ffprobe: {tools.ffprobe or '(none: probing with ffmpeg -i)'}")
    started = time.perf_counter()
    MoonshineEngine()
    print(f"Moonshine load (in process): {time.perf_counter() - started:.2f} s")
    engine = IsolatedMoonshineEngine()
    print(f"Transcription below uses {type(engine).__name__} (model in a child process)")

    rows = load_manifest(corpus)
    audio_rows = [row for row in rows if row["local_path"].startswith("audio/")]
    speech: list[ScoredClip] = []
    speech_paths: list[Path] = []
    references: list[str] = []
    for row in audio_rows:
        reference = reference_for(corpus, row)
        if row["kind"] == "audio-speech" and reference is not None:
            speech_paths.append(corpus / row["local_path"])
            references.append(reference.read_text(encoding="utf-8"))
            speech.append(score(engine, row["local_path"], speech_paths[-1], references[-1]))
    report_wer("Audio clips with an English reference", speech)
    report_wer("Long audio", [score_concatenation(engine, speech_paths, references)])

    print("\n## Silent and broken clips")
    for row in audio_rows:
        if row["kind"] in ("audio-silence", "audio-broken"):
            try:
                text = transcribe_file(corpus / row["local_path"], engine=engine).data.text
                print(f"{row['local_path']:58} transcript words: {len(text.split())}")
            except MediaError as error:
                print(f"{row['local_path']:58} error {error.category}: {error.message}")

    videos: list[ScoredClip] = []
    print(f"\n## Videos: keyframes (the pipeline's policy: {KEYFRAMES})")
    for row in rows:
        if row["local_path"].startswith("video/") and row["local_path"].endswith(".mp4"):
            path = corpus / row["local_path"]
            times = keyframe_times(path, KEYFRAMES)
            print(f"{row['local_path']:58} keyframes: {len(times)} at {times}")
            reference = reference_for(corpus, row)
            if reference is not None:
                text = reference.read_text(encoding="utf-8")
                videos.append(score(engine, row["local_path"], path, text))
    report_wer("Video audio tracks", videos)

    clips = [decode_audio(path) for path in speech_paths]
    audio_seconds = sum(len(clip) for clip in clips) / SAMPLE_RATE
    print(
        f"\n## ASR real-time factor ({len(clips)} clips, {audio_seconds:.1f} s of decoded"
        " 16 kHz audio, model loaded in each process; factor = wall time / audio duration)"
    )
    for processes in (1, 2):
        wall, cpu, rtf = real_time_factor(clips, processes)
        print(
            f"{processes} process(es): {wall:6.2f} s wall, {cpu:6.2f} s CPU,"
            f" real-time factor {rtf:.3f} (CPU-time factor {cpu / audio_seconds:.3f})"
        )


if __name__ == "__main__":
    main()
