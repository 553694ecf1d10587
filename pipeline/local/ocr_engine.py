"""RapidOCR on the PP-OCR models bundled in its wheel, built once per process on first use.

The engine is built with explicit `model_path`s to the bundled files, so RapidOCR's download
step (which runs when `model_path` is unset and the file is missing or fails its checksum) is
never reached. One `OcrEngine` lives on a worker's `EngineResources`; threads share it (calls
are serialised: RapidOCR stores call flags on the instance)."""

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from pipeline.errors import EngineError
from pipeline.local.onnx import onnx_errors

if TYPE_CHECKING:
    from rapidocr import RapidOCR

__all__ = ["ENGINE_MAX_SIDE", "MODEL_FILES", "OcrEngine", "bundled_model_paths"]

ENGINE_MAX_SIDE = 4096
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}


def bundled_model_paths() -> dict[str, Path]:
    """Paths of the ONNX models shipped inside the rapidocr wheel."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    return {stage: models / name for stage, name in MODEL_FILES.items()}


class OcrEngine:
    """A lazily built RapidOCR; `threads` is onnxruntime's intra-op thread count (None: all
    cores). After a fork the child builds its own (onnxruntime sessions are not fork-safe)."""

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads
        self._lock = threading.Lock()
        self._rapid: RapidOCR | None = None
        self._pid = 0

    def run(self, image: Image.Image, *, detect: bool, min_score: float) -> Any:
        """RapidOCR's raw result for an RGB image (detection optional)."""
        with self._lock:
            rapid = self._loaded()
            with onnx_errors("RapidOCR failed"):
                return rapid(
                    image, use_det=detect, use_cls=False, use_rec=True, text_score=min_score
                )

    def warm(self) -> None:
        """Load the models now (workers do it before their first job)."""
        with self._lock:
            self._loaded()

    def _loaded(self) -> "RapidOCR":
        if self._rapid is None or self._pid != os.getpid():
            self._rapid = self._build()
            self._pid = os.getpid()
        return self._rapid

    def _build(self) -> "RapidOCR":
        from rapidocr import RapidOCR

        params: dict[str, Any] = {
            "Global.log_level": "error",
            "Global.max_side_len": ENGINE_MAX_SIDE,
            "Global.use_cls": False,
            "Rec.rec_batch_num": 1,
            "EngineConfig.onnxruntime.intra_op_num_threads": self.threads or -1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1 if self.threads else -1,
        }
        for stage, path in bundled_model_paths().items():
            if not path.is_file():
                raise EngineError(f"RapidOCR's bundled model is missing: {path}")
            params[f"{stage}.model_path"] = str(path)
        with onnx_errors("RapidOCR could not load its models"):
            return RapidOCR(params=params)
