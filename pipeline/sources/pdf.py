"""Opening PDFs safely: clear error categories for empty, corrupt, encrypted and page-less files,
and a small per-process cache of open documents that jobs pin while they use them."""

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
    """The few most recently used documents of one process, shared by its jobs and threads.

    Workers process many pages of the same file in a row; reopening a large PDF per page would
    re-parse its cross-reference table every time. A job pins its document for as long as it
    uses it (`with cache.open(path) as document:`); only unpinned documents are closed when the
    cache is over its size, so a threaded worker with more distinct PDFs in flight than
    `size` keeps them all open until their jobs end. Built by the worker's entry point and
    carried on its context (never module state)."""

    def __init__(self, size: int = DEFAULT_OPEN_DOCUMENTS) -> None:
        self._size = size
        self._entries: OrderedDict[Path, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def open(self, path: Path) -> Iterator[pymupdf.Document]:
        """The open document for `path` (opened now or reused), pinned inside the block."""
        entry = self._pin(path)
        try:
            yield entry.document
        finally:
            self._unpin(entry)

    def pinned(self) -> int:
        """How many documents are pinned by jobs right now."""
        with self._lock:
            return sum(1 for entry in self._entries.values() if entry.pins)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def close(self) -> None:
        """Close every cached document (at shutdown, after a fork, or in tests)."""
        with self._lock, MUPDF_LOCK:
            while self._entries:
                _, entry = self._entries.popitem()
                entry.document.close()

    def _pin(self, path: Path) -> "_Entry":
        with self._lock:
            entry = self._entries.get(path)
            if entry is None or (not entry.pins and entry.document.is_closed):
                with MUPDF_LOCK:
                    entry = _Entry(open_pdf(path))
                self._entries[path] = entry
            entry.pins += 1
            self._entries.move_to_end(path)
            self._evict_unpinned()
            return entry

    def _unpin(self, entry: "_Entry") -> None:
        with self._lock:
            entry.pins -= 1
            self._evict_unpinned()

    def _evict_unpinned(self) -> None:
        """Close the least recently used unpinned documents while over size (lock held)."""
        excess = len(self._entries) - self._size
        for path in [path for path, entry in self._entries.items() if not entry.pins]:
            if excess <= 0:
                return
            entry = self._entries.pop(path)
            with MUPDF_LOCK:
                entry.document.close()
            excess -= 1


@dataclass
class _Entry:
    document: pymupdf.Document
    pins: int = 0
