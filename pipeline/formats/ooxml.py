"""Office Open XML shared by the DOCX and PPTX readers: namespaces, and opening a package
through python-docx / python-pptx behind one error boundary.

Both libraries parse with lxml (`resolve_entities=False`, no network) and load every part
into memory, so the container's sizes are checked first (`members.check_container`). They
raise their own `PackageNotFoundError`, zipfile's `BadZipFile`, `KeyError` for a missing
part, lxml's `XMLSyntaxError` and assorted `ValueError`/`AttributeError`/`TypeError` on
odd content; all become `corrupt_file`, naming the broken part when one is not well-formed.
"""

import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from lxml import etree

from pipeline.errors import PipelineError, SourceError
from pipeline.sources.members import check_container, member_names, read_member
from pipeline.sources.safe_xml import parse_xml
from schemas.enums import ErrorCategory

__all__ = ["NS", "library_errors", "open_package", "q"]

NS = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
    "pic": "http://schemas.openxmlformats.org/drawingml/2006/picture",
    "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006",
    "v": "urn:schemas-microsoft-com:vml",
}

T = TypeVar("T")

_LIBRARY_ERRORS = (
    zipfile.BadZipFile,
    KeyError,
    etree.XMLSyntaxError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    OSError,
    EOFError,
    zlib.error,
    NotImplementedError,
)


def q(name: str) -> str:
    """Clark notation of a prefixed name: `q("w:p")` → `{…/main}p`."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def open_package(path: Path, opener: Callable[[str], T], what: str) -> T:
    """`opener(path)` (e.g. `docx.Document`) with its failures as `corrupt_file`."""
    check_container(path)
    try:
        return opener(str(path))
    except PipelineError:
        raise
    except _LIBRARY_ERRORS as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, _diagnose(path, what, exc)) from exc
    except Exception as exc:  # python-docx/pptx package errors have no common base
        if type(exc).__name__ == "PackageNotFoundError":
            raise SourceError(
                ErrorCategory.CORRUPT_FILE, f"the file is not a {what} package: {exc}"
            ) from exc
        raise


@contextmanager
def library_errors(
    what: str, category: ErrorCategory = ErrorCategory.CORRUPT_FILE
) -> Iterator[None]:
    """Failures of python-docx/python-pptx while walking an open package (`corrupt_file`, or
    `page_error` for one slide)."""
    try:
        yield
    except PipelineError:
        raise
    except _LIBRARY_ERRORS as exc:
        raise SourceError(category, f"{what}: {type(exc).__name__}: {exc}") from exc


def _diagnose(path: Path, what: str, exc: Exception) -> str:
    """The message for a package that does not open: which XML part is broken, if any."""
    if isinstance(exc, etree.XMLSyntaxError):
        for name in member_names(path):
            if not name.endswith((".xml", ".rels")):
                continue
            try:
                parse_xml(read_member(path, name), name)
            except SourceError as broken:
                return f"the {what} cannot be read: {broken.message}"
    if isinstance(exc, KeyError):
        return f"the {what} cannot be read: missing part {exc}"
    return f"the {what} cannot be read: {type(exc).__name__}: {exc}"
