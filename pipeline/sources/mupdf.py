"""PyMuPDF's boundary: its process setup, its lock, and where its exceptions become ours.

- `prepare_mupdf()` is called by every entry point (CLI, Celery worker, embedded pool
  process, tests) before anything imports PyMuPDF. PyMuPDF 2.x imports its optional neural
  layout analyser (`pymupdf.layout`: three ONNX sessions, ~0.4 s and ~55 MiB per process)
  whenever it is installed and gates `find_tables` with it; Greenhouse does its own reading
  order and finds ruled tables without it, so the analyser is kept out.
- `MUPDF_LOCK`: MuPDF's context is process-wide and not thread-safe, and the `vlm` workers run
  many jobs in threads; every PyMuPDF call made from a threaded worker holds it.
- `mupdf_errors()`: MuPDF raises more than its documented `FileDataError` (`FzErrorFormat` on
  a cycle in a page tree, plain `RuntimeError`, `ValueError`, `IndexError`); inside this
  context manager any of them becomes a `PdfError` with the category the caller names.
"""

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.errors import PdfError, PipelineError
from schemas.enums import ErrorCategory

__all__ = ["MUPDF_LOCK", "layout_analyser_loaded", "mupdf_errors", "prepare_mupdf"]

MUPDF_LOCK = threading.RLock()
_LAYOUT_MODULE = "pymupdf.layout"
_LLM_MODULE = "pymupdf4llm"


def prepare_mupdf() -> None:
    """Keep the layout analyser out of this process and silence its recommendation.

    Idempotent. Call it before PyMuPDF is first imported; later it can only stop the
    recommendation (the analyser, once imported, stays)."""
    blocked_llm = False
    if "pymupdf" not in sys.modules:
        sys.modules.setdefault(_LAYOUT_MODULE, None)  # type: ignore[arg-type]
        # PyMuPDF also imports pymupdf4llm when installed (for Document.to_markdown, unused
        # here), which pulls numpy and onnxruntime: ~0.1 s per process. Kept out of the
        # import, then unblocked so code that imports pymupdf4llm itself (eval) still can.
        blocked_llm = _LLM_MODULE not in sys.modules
        if blocked_llm:
            sys.modules[_LLM_MODULE] = None  # type: ignore[assignment]
    try:
        import pymupdf
    except ImportError:  # an API-only install has no PyMuPDF: nothing to set up
        return
    finally:
        if blocked_llm and sys.modules.get(_LLM_MODULE, 0) is None:
            del sys.modules[_LLM_MODULE]
    pymupdf.no_recommend_layout()
    # MuPDF prints its errors to stdout (pymupdf4llm's import used to turn that off): they
    # become categorised errors here, and `greenhouse ingest --json` owns stdout.
    pymupdf.TOOLS.mupdf_display_errors(False)


def layout_analyser_loaded() -> bool:
    """True when PyMuPDF's layout analyser was imported into this process."""
    return sys.modules.get(_LAYOUT_MODULE) is not None


@contextmanager
def mupdf_errors(category: ErrorCategory, what: str) -> Iterator[None]:
    """Turn any exception MuPDF raises inside the block into `PdfError(category)`.

    `what` names the operation for the message ("the PDF cannot be opened", "page 3 cannot
    be read"). Our own PipelineErrors pass through unchanged."""
    try:
        yield
    except PipelineError:
        raise
    except _LIBRARY_ERRORS as exc:
        raise PdfError(category, f"{what}: {_describe(exc)}") from exc
    except Exception as exc:
        if not isinstance(exc, _mupdf_base_error()):
            raise
        raise PdfError(category, f"{what}: {_describe(exc)}") from exc


_LIBRARY_ERRORS = (
    RuntimeError,  # pymupdf.FileDataError and MuPDF's generic failures
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    MemoryError,
)
"""What PyMuPDF's Python layer raises on damaged files besides its documented errors."""


def _mupdf_base_error() -> type[Exception]:
    """MuPDF's own exception root (`FzErrorFormat` etc. derive from Exception directly)."""
    from pymupdf import mupdf

    base: type[Exception] = mupdf.FzErrorBase
    return base


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:500]
