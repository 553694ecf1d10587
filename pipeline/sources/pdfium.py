"""PDFium's boundary (pypdfium2): the second PDF parser, its lock, and where its errors become ours.

MuPDF reads every PDF first. When it cannot open a file or finds no pages in it, or cannot
load one page, PDFium gets a try: its repair heuristics differ (it counts the pages of a tree
whose `/Count` is wrong, for one). What PDFium reads is recorded as `parser="pdfium"` on the
chunk and `pdfium-text` on the extraction.

PDFium is not thread-safe: every call holds `PDFIUM_LOCK`. Inside `pdfium_errors()` whatever
pypdfium2 raises (`PdfiumError`, a `RuntimeError`, and `ValueError`/`OSError` from its Python
layer) becomes a `PdfError` with the category the caller names.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from pipeline.errors import PdfError, PipelineError
from schemas.enums import ErrorCategory

__all__ = [
    "PDFIUM_LOCK",
    "PDFIUM_PARSER",
    "PdfiumDocument",
    "PdfiumPage",
    "open_pdfium",
    "pdfium_errors",
]

PDFIUM_LOCK = threading.RLock()
PDFIUM_PARSER = "pdfium"
_MAX_RENDER_SIDE = 2000


@contextmanager
def pdfium_errors(category: ErrorCategory, what: str) -> Iterator[None]:
    """Turn what pypdfium2 raises inside the block into `PdfError(category)`."""
    try:
        yield
    except PipelineError:
        raise
    except (RuntimeError, ValueError, OSError, IndexError, KeyError, TypeError, MemoryError) as exc:
        message = (str(exc).strip() or type(exc).__name__).splitlines()[0][:500]
        raise PdfError(category, f"{what} (PDFium): {message}") from exc


@dataclass(frozen=True)
class PdfiumPage:
    """What PDFium reads of one page: its displayed size in points and its text."""

    width: float
    height: float
    rotation: int
    text: str


class PdfiumDocument:
    """A PDF opened by PDFium; every call holds `PDFIUM_LOCK` and maps errors at the boundary."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    @property
    def page_count(self) -> int:
        """Pages PDFium found in the page tree."""
        with PDFIUM_LOCK, pdfium_errors(ErrorCategory.CORRUPT_FILE, "the PDF has no page tree"):
            return len(self._handle)

    def read_page(self, index: int) -> PdfiumPage:
        """A page's displayed size, rotation and text (`page_error` if PDFium cannot load it)."""
        with (
            PDFIUM_LOCK,
            pdfium_errors(ErrorCategory.PAGE_ERROR, f"page {index + 1} cannot be read"),
        ):
            page = self._handle[index]
            try:
                width, height = page.get_size()
                text_page = page.get_textpage()
                try:
                    text = str(text_page.get_text_range())
                finally:
                    text_page.close()
                return PdfiumPage(
                    width=float(width),
                    height=float(height),
                    rotation=int(page.get_rotation()),
                    text=text.replace("\r\n", "\n").replace("\r", "\n"),
                )
            finally:
                page.close()

    def render_page(self, index: int, dpi: float, max_side: int = _MAX_RENDER_SIDE) -> Image.Image:
        """A page as displayed, rendered to RGB at `dpi` (at most `max_side` pixels long)."""
        with (
            PDFIUM_LOCK,
            pdfium_errors(ErrorCategory.PAGE_ERROR, f"page {index + 1} cannot be rendered"),
        ):
            page = self._handle[index]
            try:
                width, height = page.get_size()
                scale = min(dpi / 72.0, max_side / max(float(width), float(height), 1.0))
                bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
                image: Image.Image = bitmap.to_pil().convert("RGB")
                return image
            finally:
                page.close()

    def __enter__(self) -> "PdfiumDocument":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the document."""
        with PDFIUM_LOCK, pdfium_errors(ErrorCategory.CORRUPT_FILE, "the PDF cannot be closed"):
            self._handle.close()


def open_pdfium(path: Path) -> PdfiumDocument:
    """Open a PDF with PDFium (`corrupt_file` if it cannot); use it in a `with` block."""
    with PDFIUM_LOCK, pdfium_errors(ErrorCategory.CORRUPT_FILE, "the PDF cannot be opened"):
        import pypdfium2  # type: ignore[import-untyped]

        return PdfiumDocument(pypdfium2.PdfDocument(path))
