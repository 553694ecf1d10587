"""English speech recognition on CPU with Moonshine base (the model bundled in moonshine-cpp).

The model ships inside the `moonshine_cpp` package and is loaded from its package folder:
nothing is downloaded. It runs on onnxruntime (`pipeline.local.moonshine_model`), not on the
package's own library, which needs AVX-512. Input is 16 kHz mono float32 PCM as produced by
`pipeline.sources.audio`.

The default engine runs the model in a child process: a native crash or hang costs one
utterance and the child, never the worker, and the child is replaced once its peak memory
passes a limit. Utterances are kept short (at most 12 s: the cost per second of audio grows
with the utterance length).
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import threading
from array import array
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Protocol

from pipeline.assemble.transcript import TimedText, assemble_transcript
from pipeline.errors import EngineError
from pipeline.sources.audio import DECODE_TIMEOUT_SECONDS, decode_audio, slice_samples
from pipeline.sources.ffmpeg import FfmpegTools
from pipeline.sources.pauses import SegmentationConfig, segment_audio_file, split_at_pauses
from schemas.enums import ErrorCategory
from schemas.transcript import Transcript

__all__ = [
    "CHILD_MEMORY_LIMIT_MB",
    "CHILD_TIMEOUT_SECONDS",
    "ENGINE_NAME",
    "LANGUAGE",
    "MOONSHINE_SEGMENTATION",
    "IsolatedMoonshineEngine",
    "MoonshineEngine",
    "SpeechEngine",
    "serve_engine",
    "transcribe",
    "transcribe_file",
]

ENGINE_NAME = "moonshine-base-en"
LANGUAGE = "en"
# Generous speaking rate used to bound how many words two overlapping segments can share.
_WORDS_PER_SECOND = 4.0
# Utterances handed to Moonshine: short enough to stay fast and bound its memory leak.
MOONSHINE_SEGMENTATION = SegmentationConfig(max_seconds=12.0, cut_search_seconds=4.0)
CHILD_MEMORY_LIMIT_MB = 2500
CHILD_TIMEOUT_SECONDS = 300.0


class SpeechEngine(Protocol):
    """Anything that turns one utterance of 16 kHz mono float32 samples into text."""

    name: str

    def transcribe_samples(self, samples: array[float]) -> str: ...


class MoonshineEngine:
    """Moonshine base English, the model files bundled in moonshine-cpp, run on onnxruntime
    (`pipeline.local.moonshine_model`)."""

    name = ENGINE_NAME

    def __init__(self) -> None:
        from pipeline.local.moonshine_model import MoonshineModel

        self._model = MoonshineModel()
        self._lock = threading.Lock()

    def transcribe_samples(self, samples: array[float]) -> str:
        """Text of one utterance of 16 kHz mono float32 samples (at most ~30 s)."""
        if not samples:
            return ""
        import numpy as np

        with self._lock:
            return self._model.transcribe(np.frombuffer(samples, dtype=np.float32))


def serve_engine(connection_fd: int) -> None:
    """Child process loop on a socket: samples in, (ok, text or error, peak MB) out."""
    connection = Connection(connection_fd)
    engine: MoonshineEngine | None = None
    try:
        engine = MoonshineEngine()
    except Exception as exc:  # reported to the parent with every request
        load_error = repr(exc)
    while True:
        try:
            payload = connection.recv_bytes()
        except EOFError:
            return
        samples = array("f")
        samples.frombytes(payload)
        if engine is None:
            ok, text = False, load_error
        else:
            try:
                ok, text = True, engine.transcribe_samples(samples)
            except Exception as exc:  # reported to the parent, which raises it
                ok, text = False, repr(exc)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        connection.send((ok, text, peak_mb))


_CHILD_CODE = (
    "import sys; from pipeline.local.asr import serve_engine; serve_engine(int(sys.argv[1]))"
)
# The folder holding the `pipeline` package: the child runs there so it can import it.
_IMPORT_ROOT = Path(__file__).resolve().parents[2]


class IsolatedMoonshineEngine:
    """Moonshine in a child process, replaced when its peak memory passes a limit."""

    name = ENGINE_NAME

    def __init__(
        self,
        *,
        memory_limit_mb: int = CHILD_MEMORY_LIMIT_MB,
        timeout: float = CHILD_TIMEOUT_SECONDS,
    ) -> None:
        self.memory_limit_mb = memory_limit_mb
        self.timeout = timeout
        self.restarts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._lock = threading.Lock()

    @property
    def child_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _ensure_child(self) -> Connection:
        if self._process is not None and self._connection is not None:
            if self._process.poll() is None:
                return self._connection
            self.close()
        parent_socket, child_socket = socket.socketpair()
        with child_socket:
            descriptor = child_socket.fileno()
            self._process = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(descriptor)],
                pass_fds=(descriptor,),
                cwd=_IMPORT_ROOT,
                stdin=subprocess.DEVNULL,
            )
        self._connection = Connection(parent_socket.detach())
        return self._connection

    def transcribe_samples(self, samples: array[float]) -> str:
        """Text of one utterance, computed in the child process."""
        if not samples:
            return ""
        with self._lock:
            connection = self._ensure_child()
            try:
                connection.send_bytes(samples.tobytes())
            except OSError as exc:
                self.close()
                raise EngineError("the ASR child process is gone") from exc
            if not connection.poll(self.timeout):
                self.close()
                raise EngineError(f"ASR exceeded {self.timeout:g} s", ErrorCategory.TIMEOUT)
            try:
                ok, text, peak_mb = connection.recv()
            except EOFError as exc:
                self.close()
                raise EngineError("the ASR child process died") from exc
            if peak_mb > self.memory_limit_mb:
                self.close()
                self.restarts += 1
        if not ok:
            raise EngineError(f"Moonshine failed: {text}")
        return str(text)

    def close(self) -> None:
        """Stop the child process (a later call starts a new one)."""
        if self._connection is not None:
            self._connection.close()
        if self._process is not None:
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process, self._connection = None, None


def transcribe(
    pcm_16k_mono: array[float],
    start_offset: float = 0.0,
    *,
    engine: SpeechEngine,
    config: SegmentationConfig = MOONSHINE_SEGMENTATION,
) -> list[TimedText]:
    """Transcribe samples; returns (start, end, text) with times offset by `start_offset`.

    Silence is skipped and the audio is split at pauses into utterances of at most
    `config.max_seconds`, so any length works; silent audio gives an empty list.
    """
    results: list[TimedText] = []
    for segment in split_at_pauses(pcm_16k_mono, config):
        text = engine.transcribe_samples(slice_samples(pcm_16k_mono, segment))
        if text:
            start = round(start_offset + segment.start, 3)
            results.append((start, round(start_offset + segment.end, 3), text))
    return results


def transcribe_file(
    path: str | Path,
    *,
    engine: SpeechEngine,
    segmentation: SegmentationConfig | None = None,
    tools: FfmpegTools | None = None,
    timeout: float = DECODE_TIMEOUT_SECONDS,
) -> Transcript:
    """Transcribe a file the way ASR jobs do, streaming it to plan segments at pauses
    (`segmentation`, default at most 30 s), then decoding and transcribing each one."""
    timed: list[TimedText] = []
    for segment in segment_audio_file(path, segmentation, tools=tools, timeout=timeout):
        samples = decode_audio(
            path, start=segment.start, duration=segment.duration, tools=tools, timeout=timeout
        )
        timed.extend(transcribe(samples, segment.start, engine=engine))
    return assemble_transcript(timed, engine_name=engine.name, language=LANGUAGE)
