"""Reading a text-format upload (HTML, Markdown, plain text, RTF, e-mail) whole, under a cap.

Text formats are parsed in memory, so their size is bounded before anything is read: a file
over `MAX_TEXT_BYTES` is `too_large`. `OSError`s of the read become a `SourceError`.
"""

from pathlib import Path
from typing import Final

from pipeline.errors import SourceError
from schemas.enums import ErrorCategory

__all__ = ["MAX_TEXT_BYTES", "read_upload"]

MAX_TEXT_BYTES: Final = 64 * 1024 * 1024
"""64 MiB: a text document of some 30,000 pages; larger ones are refused, not truncated."""


def read_upload(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """The file's bytes; `too_large` past `max_bytes`."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the file cannot be read: {exc}") from exc
    if len(data) > max_bytes:
        raise SourceError(ErrorCategory.TOO_LARGE, f"the file exceeds {max_bytes:,} bytes of text")
    return data
