"""onnxruntime's boundary: where its exceptions become `EngineError`s.

onnxruntime raises its own classes (`Fail`, `InvalidArgument`, `RuntimeException`, ...) from a
compiled module, plus `RuntimeError`/`ValueError` from its Python layer; RapidOCR adds
`ValueError`/`IndexError` on degenerate crops and lets OpenCV's `cv2.error` (an `Exception`
of its own) through on empty ones. Inside `onnx_errors()` all of them become one
categorised error naming the operation."""

from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.errors import EngineError, PipelineError

__all__ = ["onnx_errors"]

_LIBRARY_MODULES = ("onnxruntime", "cv2")


@contextmanager
def onnx_errors(what: str) -> Iterator[None]:
    """Turn what onnxruntime or RapidOCR raise inside the block into `EngineError`."""
    try:
        yield
    except PipelineError:
        raise
    except (RuntimeError, ValueError, IndexError, TypeError, MemoryError) as exc:
        raise EngineError(f"{what}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith(_LIBRARY_MODULES):
            raise EngineError(f"{what}: {type(exc).__name__}: {exc}") from exc
        raise
