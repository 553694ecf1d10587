"""Opening PDFs safely: clear error categories for empty, corrupt, encrypted and page-less files."""

from collections import OrderedDict
from pathlib import Path

import pymupdf

from pipeline.errors import PipelineError
from schemas.enums import ErrorCategory

_OPEN_CACHE_SIZE = 4
_open_documents: "OrderedDict[Path, pymupdf.Document]" = OrderedDict()


def open_pdf(path: Path, password: str | None = None) -> pymupdf.Document:
    """Open a PDF lazily (pages are parsed on access) or raise a categorised PipelineError."""
    if path.stat().st_size == 0:
        raise PipelineError(ErrorCategory.EMPTY_FILE, "the file is empty (0 bytes)")
    try:
        document = pymupdf.open(path, filetype="pdf")
    except pymupdf.FileDataError as exc:
        raise PipelineError(
            ErrorCategory.CORRUPT_FILE, f"the PDF cannot be parsed (truncated or damaged): {exc}"
        ) from exc
    except (RuntimeError, ValueError) as exc:
        raise PipelineError(ErrorCategory.CORRUPT_FILE, f"the PDF cannot be opened: {exc}") from exc
    if document.needs_pass and (password is None or not document.authenticate(password)):
        document.close()
        raise PipelineError(
            ErrorCategory.ENCRYPTED,
            "the PDF is encrypted and no valid password was given",
        )
    if document.page_count == 0:
        document.close()
        raise PipelineError(ErrorCategory.NO_PAGES, "the PDF has no pages")
    return document


def cached_pdf(path: Path) -> pymupdf.Document:
    """Return an open document for `path`, reusing the few most recently opened in this process.

    Workers process many pages of the same file in a row; reopening a large PDF per page would
    re-parse its cross-reference table every time.
    """
    document = _open_documents.get(path)
    if document is not None and not document.is_closed:
        _open_documents.move_to_end(path)
        return document
    document = open_pdf(path)
    _open_documents[path] = document
    while len(_open_documents) > _OPEN_CACHE_SIZE:
        _, evicted = _open_documents.popitem(last=False)
        evicted.close()
    return document


def forget_cached_pdfs() -> None:
    """Close every cached document (after a fork, or in tests)."""
    while _open_documents:
        _, document = _open_documents.popitem()
        document.close()
