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

__all__ = [
    "DETECTOR_MIN_SIDE",
    "ENGINE_MAX_SIDE",
    "MODEL_FILES",
    "OcrEngine",
    "bundled_model_paths",
    "detector_limit",
]

ENGINE_MAX_SIDE = 4096
DETECTOR_MIN_SIDE = 736
"""RapidOCR's detector enlarges a picture whose short side is shorter (`limit_type: min`)."""
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}


def detector_limit(size: tuple[int, int], whole: tuple[int, int]) -> tuple[str, int]:
    """RapidOCR's `(limit_type, limit_side_len)` for a `size` picture cut out of a `whole` one:
    the scale RapidOCR's own rule gives the whole picture (enlarge a short side below
    `DETECTOR_MIN_SIDE` to it, else keep the size), applied to the cut-out."""
    if size == whole:
        return "min", DETECTOR_MIN_SIDE
    whole_short = min(whole)
    if whole_short >= DETECTOR_MIN_SIDE:
        return "max", max(size)  # no side is longer: kept at its size
    return "min", round(min(size) * DETECTOR_MIN_SIDE / whole_short)


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

    def run(
        self,
        image: Image.Image,
        *,
        detect: bool,
        min_score: float,
        cut_from: tuple[int, int] | None = None,
    ) -> Any:
        """RapidOCR's raw result for an RGB image (detection optional). `cut_from` is the size
        of the picture `image` was cut out of: the detector then scales the cut-out as it
        would scale that whole picture, so a line is detected at the same size either way."""
        with self._lock:
            rapid = self._loaded()
            with onnx_errors("RapidOCR failed"):
                if detect:
                    _fit_detector(rapid, image.size, cut_from or image.size)
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


def _fit_detector(rapid: "RapidOCR", size: tuple[int, int], whole: tuple[int, int]) -> None:
    """Set the detector's resize for this picture. RapidOCR (pinned 3.10) builds its detector
    on first use and reads `limit_type`/`limit_side_len` from it on every call; a test checks
    the size the detector's model receives."""
    detector = rapid._load_det_model()  # type: ignore[no-untyped-call]
    detector.limit_type, detector.limit_side_len = detector_limit(size, whole)
