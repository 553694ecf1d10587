"""Moonshine base English on onnxruntime: the encoder and the merged decoder that moonshine-cpp
bundles, decoded greedily here.

moonshine-cpp's own library (`libmoonshine.so` 0.1.4) is built for AVX-512 and dies with
SIGILL on CPUs without it (AMD EPYC with AVX2 only, older Intel); onnxruntime's Python wheel
picks its kernels at run time and works on any x86-64 or ARM CPU. Only the package's model
files are used, found without importing the package (its import loads that library).

The decoder is Hugging Face's "merged" export: the first step runs with `use_cache_branch`
false and computes every layer's cross-attention keys and values from the encoder output; later
steps feed one token and the cache (self-attention grows by one position a step, the
cross-attention part is reused as computed). Decoding stops at `</s>` or after
`TOKENS_PER_SECOND` tokens per second of audio (Moonshine's own bound: speech has fewer).
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.errors import EngineError
from pipeline.local.onnx import onnx_errors

if TYPE_CHECKING:
    import onnxruntime

__all__ = [
    "MODEL_FILES",
    "SAMPLE_RATE",
    "TOKENS_PER_SECOND",
    "MoonshineModel",
    "MoonshineTokenizer",
    "bundled_model_folder",
]

SAMPLE_RATE = 16_000
TOKENS_PER_SECOND = 6.0
MODEL_FILES = ("encoder_model.ort", "decoder_model_merged.ort", "tokenizer.bin")
_START, _END = 1, 2
_SPECIAL = frozenset({0, _START, _END})
_WORD_START = "\u2581"
Samples = np.ndarray[Any, np.dtype[np.float32]]


def bundled_model_folder() -> Path:
    """The Moonshine base English files shipped inside the moonshine-cpp wheel."""
    spec = importlib.util.find_spec("moonshine_cpp")
    if spec is None or spec.origin is None:
        raise EngineError("moonshine-cpp (the package that ships the Moonshine model) is missing")
    folder = Path(spec.origin).parent / "models" / "base-en"
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise EngineError(f"moonshine-cpp is missing its bundled model files: {missing}")
    return folder


@dataclass(frozen=True)
class MoonshineTokenizer:
    """Token id to bytes: `tokenizer.bin` is each token's byte length (one byte) then its
    bytes, in id order. Ids 3-258 are the raw bytes 0-255; pieces mark a word start with ▁."""

    pieces: tuple[bytes, ...]

    @classmethod
    def from_file(cls, path: Path) -> "MoonshineTokenizer":
        data = path.read_bytes()
        pieces: list[bytes] = []
        offset = 0
        while offset < len(data):
            length = data[offset]
            end = offset + 1 + length
            if end > len(data):
                raise EngineError(f"{path.name} is truncated at token {len(pieces)}")
            pieces.append(data[offset + 1 : end])
            offset = end
        return cls(tuple(pieces))

    def decode(self, ids: list[int]) -> str:
        """Text of the ids; special and unknown ids are left out."""
        raw = b"".join(self.pieces[i] for i in ids if i not in _SPECIAL and i < len(self.pieces))
        return raw.decode("utf-8", "replace").replace(_WORD_START, " ").strip()


class MoonshineModel:
    """The encoder and decoder sessions of one process; not safe to share between threads
    (callers serialise)."""

    def __init__(self, folder: Path | None = None, *, threads: int = 1) -> None:
        import onnxruntime

        folder = folder or bundled_model_folder()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        with onnx_errors("the Moonshine model could not be loaded"):
            self._encoder = _session(onnxruntime, folder / MODEL_FILES[0], options)
            self._decoder = _session(onnxruntime, folder / MODEL_FILES[1], options)
        self.tokenizer = MoonshineTokenizer.from_file(folder / MODEL_FILES[2])
        cache = [node for node in self._decoder.get_inputs() if node.name.startswith("past_")]
        self._cache_inputs = [node.name for node in cache]
        self._outputs = [node.name for node in self._decoder.get_outputs()]
        _, heads, _, head_size = cache[0].shape  # [batch, heads, positions, head size]
        self._empty_cache = np.zeros((1, int(heads), 0, int(head_size)), dtype=np.float32)

    def transcribe(self, samples: Samples) -> str:
        """Text of one utterance of 16 kHz mono float32 samples."""
        max_tokens = int(len(samples) / SAMPLE_RATE * TOKENS_PER_SECOND)
        if max_tokens < 1:
            return ""
        with onnx_errors("Moonshine failed"):
            return self.tokenizer.decode(self._decode(samples, max_tokens))

    def _decode(
        self, samples: "np.ndarray[Any, np.dtype[np.float32]]", max_tokens: int
    ) -> list[int]:
        hidden = self._encoder.run(None, {"input_values": samples.reshape(1, -1)})[0]
        cache = {name: self._empty_cache for name in self._cache_inputs}
        ids: list[int] = []
        token = _START
        for step in range(max_tokens):
            feed = {
                "input_ids": np.array([[token]], dtype=np.int64),
                "encoder_hidden_states": hidden,
                "use_cache_branch": np.array([step > 0]),
                **cache,
            }
            logits, *present = self._decoder.run(None, feed)
            token = int(np.argmax(logits[0, -1]))
            for name, value in zip(self._outputs[1:], present, strict=True):
                if step == 0 or ".decoder." in name:  # cross-attention: as the first step made it
                    cache[name.replace("present", "past_key_values", 1)] = value
            if token == _END:
                break
            ids.append(token)
        return ids


def _session(
    onnxruntime: Any, path: Path, options: "onnxruntime.SessionOptions"
) -> "onnxruntime.InferenceSession":
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
