"""Opening PDFs safely: clear error categories for empty, corrupt, encrypted and page-less files,
and a small per-process cache of open documents."""

import threading
from collections import OrderedDict
from pathlib import Path

import pymupdf

from pipeline.errors import PdfError
from pipeline.sources.mupdf import MUPDF_LOCK, mupdf_errors
from schemas.enums import ErrorCategory
from schemas.extractions import Rotation

__all__ = ["DEFAULT_OPEN_DOCUMENTS", "PdfCache", "open_pdf", "page_rotation"]

_ROTATIONS: dict[int, Rotation] = {0: 0, 90: 90, 180: 180, 270: 270}

DEFAULT_OPEN_DOCUMENTS = 4


def open_pdf(path: Path, password: str | None = None) -> pymupdf.Document:
    """Open a PDF lazily (pages are parsed on access) or raise a categorised PdfError."""
    if path.stat().st_size == 0:
        raise PdfError(ErrorCategory.EMPTY_FILE, "the file is empty (0 bytes)")
    with mupdf_errors(ErrorCategory.CORRUPT_FILE, "the PDF cannot be opened"):
        document = pymupdf.open(path, filetype="pdf")
        if document.needs_pass and (password is None or not document.authenticate(password)):
            document.close()
            raise PdfError(
                ErrorCategory.ENCRYPTED, "the PDF is encrypted and no valid password was given"
            )
        if document.page_count == 0:
            document.close()
            raise PdfError(ErrorCategory.NO_PAGES, "the PDF has no pages")
    return document


def page_rotation(value: int) -> Rotation:
    """A page's /Rotate as one of 0, 90, 180, 270; anything else is a damaged page."""
    rotation = _ROTATIONS.get(value % 360)
    if rotation is None:
        raise PdfError(ErrorCategory.PAGE_ERROR, f"invalid page rotation {value}")
    return rotation


class PdfCache:
    """The few most recently opened documents of one process, reused across its jobs.

    Workers process many pages of the same file in a row; reopening a large PDF per page would
    re-parse its cross-reference table every time. Built by the worker's entry point and
    carried on its context (never module state)."""

    def __init__(self, size: int = DEFAULT_OPEN_DOCUMENTS) -> None:
        self._size = size
        self._documents: OrderedDict[Path, pymupdf.Document] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> pymupdf.Document:
        """An open document for `path`, opened now or reused."""
        with self._lock, MUPDF_LOCK:
            document = self._documents.get(path)
            if document is not None and not document.is_closed:
                self._documents.move_to_end(path)
                return document
            document = open_pdf(path)
            self._documents[path] = document
            while len(self._documents) > self._size:
                _, evicted = self._documents.popitem(last=False)
                evicted.close()
            return document

    def close(self) -> None:
        """Close every cached document (at shutdown, after a fork, or in tests)."""
        with self._lock, MUPDF_LOCK:
            while self._documents:
                _, document = self._documents.popitem()
                document.close()
