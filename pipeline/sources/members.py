"""Reading one member of a ZIP container (DOCX, PPTX, XLSX, ODF) safely: zipfile's boundary.

A member is read only when its declared size is under the cap, and the read itself stops at
the cap, so a lying header or a compression bomb costs at most `max_bytes` of memory. A member
whose compressed size is more than `MAX_RATIO` times smaller than its declared size is refused
before it is inflated. zipfile raises `BadZipFile`, `KeyError` (missing member), `OSError`,
`EOFError`, `zlib.error`, `NotImplementedError` (unknown compression), `RuntimeError`
(encrypted member) and `ValueError`; all become a `SourceError`.
"""

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import SourceError
from schemas.enums import ErrorCategory

__all__ = [
    "MAX_CONTAINER_BYTES",
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "check_container",
    "member_names",
    "read_member",
    "zip_errors",
]

MAX_MEMBER_BYTES = 64 * 1024 * 1024
"""64 MiB: more than any picture or XML part of an ordinary office file."""
MAX_CONTAINER_BYTES = 1024 * 1024 * 1024
"""1 GiB inflated: the sum of a container's members that a library may load whole."""
MAX_RATIO = 200
"""Deflate reaches about 1000:1 only on crafted or degenerate data; office XML stays under 50."""
_MIN_RATIO_CHECK_BYTES = 1024 * 1024


@contextmanager
def zip_errors(what: str, category: ErrorCategory = ErrorCategory.CORRUPT_FILE) -> Iterator[None]:
    """Everything zipfile raises on damaged or hostile archives becomes a `SourceError`."""
    try:
        yield
    except KeyError as exc:
        raise SourceError(category, f"{what}: missing part {exc}") from exc
    except RuntimeError as exc:
        raise SourceError(ErrorCategory.ENCRYPTED, f"{what}: {exc}") from exc
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        zlib.error,
        NotImplementedError,
        ValueError,
    ) as exc:
        raise SourceError(category, f"{what}: {exc}") from exc


def member_names(path: Path) -> list[str]:
    """The members of a ZIP container, in directory order."""
    with zip_errors("the file is not a readable ZIP container"), zipfile.ZipFile(path) as archive:
        return archive.namelist()


def read_member(path: Path, name: str, max_bytes: int = MAX_MEMBER_BYTES) -> bytes:
    """The bytes of member `name`; `too_large` past `max_bytes` or a bomb-like ratio."""
    with zip_errors(f"part {name} cannot be read"), zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        _check_declared(info, max_bytes)
        with archive.open(info) as member:
            data = member.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise SourceError(ErrorCategory.TOO_LARGE, f"part {name} exceeds {max_bytes:,} bytes")
    return data


def check_container(path: Path, max_total: int = MAX_CONTAINER_BYTES) -> None:
    """Refuse a container whose members inflate past `max_total` or like a bomb, before a
    library (python-docx, python-pptx) reads every part into memory."""
    with zip_errors("the file is not a readable ZIP container"), zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    total = 0
    for info in infos:
        _check_declared(info, MAX_MEMBER_BYTES)
        total += info.file_size
    if total > max_total:
        raise SourceError(
            ErrorCategory.TOO_LARGE,
            f"the container inflates to {total:,} bytes (limit {max_total:,})",
        )


def _check_declared(info: zipfile.ZipInfo, max_bytes: int) -> None:
    if info.file_size > max_bytes:
        raise SourceError(
            ErrorCategory.TOO_LARGE,
            f"part {info.filename} declares {info.file_size:,} bytes (limit {max_bytes:,})",
        )
    if info.file_size > _MIN_RATIO_CHECK_BYTES and info.file_size > MAX_RATIO * max(
        info.compress_size, 1
    ):
        raise SourceError(
            ErrorCategory.TOO_LARGE,
            f"part {info.filename} inflates {info.file_size:,} bytes from"
            f" {info.compress_size:,} (a compression bomb)",
        )
