"""What expanding a container (archive, e-mail) yields, its limits, and the one safe way to
write a member: under a generated name in the target folder, hashed and counted as it streams.

A member's own name is only ever recorded, never used as a file name, so no name (absolute,
`..`, a drive letter, a link) can place bytes outside the target.
"""

import hashlib
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pipeline.errors import SourceError
from schemas.enums import ErrorCategory

__all__ = [
    "COPY_BYTES",
    "RATIO_FLOOR_BYTES",
    "ContainerLimits",
    "ContainerRefusedError",
    "Expansion",
    "ExtractedMember",
    "MemberWriter",
    "Readable",
    "RefusedMember",
    "clear_target",
    "is_junk",
    "normalise_member_path",
    "refused_link",
    "refused_path",
]

COPY_BYTES = 1024 * 1024
RATIO_FLOOR_BYTES = 1024 * 1024
"""Compression ratios are judged only past this many uncompressed bytes: a small, highly
compressible file (a page of blanks) is no bomb."""

_DRIVE = re.compile(r"^[A-Za-z]:")
_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "desktop.ini"})


class Readable(Protocol):
    """A byte stream read in pieces."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes; b"" at the end."""
        ...


@dataclass(frozen=True)
class ContainerLimits:
    """How much one container may expand to."""

    max_members: int = 1000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: float = 100.0
    max_depth: int = 3
    """Containers this deep (inside as many others) are not expanded."""
    scope: str = "the container"
    """What the member count and total size bound, as messages name it (a nested container
    gets what its family has left)."""


class ContainerRefusedError(SourceError):
    """The container breaks a limit (a bomb): refused as a whole, nothing kept."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCategory.TOO_LARGE, message)


@dataclass(frozen=True)
class ExtractedMember:
    """A member written to `file` (a generated name in the target folder)."""

    path: str
    file: Path
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class RefusedMember:
    """A member that is not extracted, and why (it is recorded as a failed member)."""

    path: str
    category: ErrorCategory
    message: str


@dataclass
class Expansion:
    """A container's members in order: extracted, or refused with a reason."""

    members: list[ExtractedMember | RefusedMember] = field(default_factory=list)

    @property
    def extracted(self) -> list[ExtractedMember]:
        """The members written to the target folder."""
        return [member for member in self.members if isinstance(member, ExtractedMember)]


def normalise_member_path(name: str) -> str | None:
    """A member name as a clean relative POSIX path: backslashes as slashes, a drive letter and
    leading slashes dropped, `.` and inner `..` resolved. None when it climbs out of the
    container (`../evil.txt`) or names nothing."""
    cleaned = name.replace("\\", "/").replace("\x00", "")
    cleaned = _DRIVE.sub("", cleaned).lstrip("/")
    parts: list[str] = []
    for part in cleaned.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return posixpath.join(*parts) if parts else None


def is_junk(path: str) -> bool:
    """Operating-system leftovers that are no documents: `__MACOSX/`, `.DS_Store`, AppleDouble
    `._*` files, `Thumbs.db`."""
    parts = path.split("/")
    base = parts[-1]
    return "__MACOSX" in parts[:-1] or base.lower() in _JUNK_NAMES or base.startswith("._")


class MemberWriter:
    """Writes members into `target` under generated names, enforcing the container's member
    count and total size on the bytes actually read (a lying header stops at the limit)."""

    def __init__(self, target: Path, limits: ContainerLimits, compressed_bytes: int) -> None:
        self.target = target
        self.limits = limits
        self.compressed_bytes = max(compressed_bytes, 1)
        self.total_bytes = 0
        self.count = 0
        self._files = 0
        target.mkdir(parents=True, exist_ok=True)

    def admit(self) -> None:
        """Count one more member; refuses the container past `max_members`."""
        self.count += 1
        if self.count > self.limits.max_members:
            raise ContainerRefusedError(
                f"{self.limits.scope} holds more than {self.limits.max_members} members "
                "(GREENHOUSE_CONTAINER_MAX_MEMBERS)"
            )

    def write(
        self, path: str, stream: Readable, member_compressed: int | None = None
    ) -> ExtractedMember:
        """Copy one member's stream, hashing and counting; refuses the container when the bytes
        pass the total size, the member's ratio (with `member_compressed`) or the overall
        ratio."""
        self._files += 1
        file = self.target / f"member-{self._files:06d}"
        digest = hashlib.sha256()
        size = 0
        try:
            with file.open("wb") as out:
                while chunk := stream.read(COPY_BYTES):
                    size += len(chunk)
                    self.total_bytes += len(chunk)
                    self._check(path, size, member_compressed)
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            file.unlink(missing_ok=True)
            raise
        return ExtractedMember(path=path, file=file, sha256=digest.hexdigest(), size_bytes=size)

    def check_declared_total(self, total: int) -> None:
        """Refuse before reading when the headers together declare too much."""
        limits = self.limits
        if total > limits.max_total_bytes:
            raise ContainerRefusedError(
                f"{limits.scope} declares more than {limits.max_total_bytes} bytes "
                "(GREENHOUSE_CONTAINER_MAX_TOTAL_BYTES)"
            )
        if total > RATIO_FLOOR_BYTES and total / self.compressed_bytes > limits.max_ratio:
            raise ContainerRefusedError(
                f"the container declares {total} bytes from {self.compressed_bytes}: a "
                f"compression ratio over {limits.max_ratio:g}:1 (GREENHOUSE_CONTAINER_MAX_RATIO)"
            )

    def check_declared(self, path: str, size: int, compressed: int | None) -> None:
        """Refuse before reading when a header already declares too much."""
        self._check(path, size, compressed, declared=True)

    def _check(
        self, path: str, size: int, compressed: int | None, *, declared: bool = False
    ) -> None:
        said = "declares" if declared else "expands to"
        limits = self.limits
        if self.total_bytes > limits.max_total_bytes or size > limits.max_total_bytes:
            raise ContainerRefusedError(
                f"{limits.scope} {said} more than {limits.max_total_bytes} bytes "
                "(GREENHOUSE_CONTAINER_MAX_TOTAL_BYTES)"
            )
        if (
            size > RATIO_FLOOR_BYTES
            and compressed is not None
            and size / max(compressed, 1) > limits.max_ratio
        ):
            raise ContainerRefusedError(
                f"member {path!r} {said} {size} bytes from {compressed}: a compression "
                f"ratio over {limits.max_ratio:g}:1 (GREENHOUSE_CONTAINER_MAX_RATIO)"
            )
        if (
            self.total_bytes > RATIO_FLOOR_BYTES
            and self.total_bytes / self.compressed_bytes > limits.max_ratio
        ):
            raise ContainerRefusedError(
                f"the container {said} {self.total_bytes} bytes from "
                f"{self.compressed_bytes}: a compression ratio over "
                f"{limits.max_ratio:g}:1 (GREENHOUSE_CONTAINER_MAX_RATIO)"
            )


def clear_target(target: Path) -> None:
    """Remove what an expansion wrote (it was refused or failed)."""
    shutil.rmtree(target, ignore_errors=True)


def refused_link(path: str) -> RefusedMember:
    """A link member: links are never followed."""
    return RefusedMember(
        path, ErrorCategory.UNSUPPORTED_MEDIA, "a link inside the container; links are not followed"
    )


def refused_path(name: str) -> RefusedMember:
    """A member whose name climbs out of the container."""
    shown = name.replace("\x00", "")[:200]
    return RefusedMember(
        shown,
        ErrorCategory.CORRUPT_FILE,
        "the member's path climbs out of the container; it was not extracted",
    )
