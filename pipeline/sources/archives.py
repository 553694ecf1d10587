"""Archive members (ZIP, tar, tar.gz, plain gzip) written out under the container's limits:
zipfile's, tarfile's and gzip's boundary.

A ZIP's declared sizes are checked for every member before anything is read; the bytes actually
read are counted again as they stream (`MemberWriter`), and zipfile never yields more than a
member declares (a lying header ends in a CRC error: the member is refused as corrupt). Tar and
gzip streams are decompressed through a counter, so headers and skipped entries count too.
"""

import gzip
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, cast

from pipeline.errors import SourceError
from pipeline.sources.expansion import (
    ContainerLimits,
    ContainerRefusedError,
    Expansion,
    ExtractedMember,
    MemberWriter,
    Readable,
    RefusedMember,
    is_junk,
    normalise_member_path,
    refused_link,
    refused_path,
)
from schemas.enums import ErrorCategory

__all__ = ["expand_gzip", "expand_tar", "expand_zip"]

_DECOMPRESSION_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)
_TAR_MAGIC_OFFSET = 257
_ENTRY_FACTOR = 10
"""Tar entries read (directories, links, empty files included) may reach this many times the
member limit before the archive is refused: skipped entries cost time too."""


def expand_zip(path: Path, target: Path, limits: ContainerLimits) -> Expansion:
    """A ZIP's members, declared sizes checked first."""
    try:
        archive = zipfile.ZipFile(path)
    except (*_DECOMPRESSION_ERRORS, ValueError) as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the ZIP cannot be read: {exc}") from exc
    with archive:
        writer = MemberWriter(target, limits, path.stat().st_size)
        planned = _declared_zip_members(archive, writer)
        expansion = Expansion()
        for item in planned:
            if isinstance(item, RefusedMember):
                expansion.members.append(item)
                continue
            name, info = item
            expansion.members.append(_extract_zip_member(archive, info, name, writer))
    return expansion


def _declared_zip_members(
    archive: zipfile.ZipFile, writer: MemberWriter
) -> list[RefusedMember | tuple[str, zipfile.ZipInfo]]:
    """The members to read, after the count, size and ratio checks of their headers."""
    planned: list[RefusedMember | tuple[str, zipfile.ZipInfo]] = []
    declared_total = 0
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = normalise_member_path(info.filename)
        if name is None:
            planned.append(refused_path(info.filename))
            continue
        if is_junk(name) or info.file_size == 0:
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            planned.append(refused_link(name))
            continue
        writer.admit()
        declared_total += info.file_size
        writer.check_declared(name, info.file_size, info.compress_size)
        writer.check_declared_total(declared_total)
        planned.append((name, info))
    return planned


def _extract_zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, writer: MemberWriter
) -> ExtractedMember | RefusedMember:
    if info.flag_bits & 0x1:
        return RefusedMember(
            name, ErrorCategory.ENCRYPTED, "the member is encrypted; no password is known"
        )
    try:
        with archive.open(info) as stream:
            return writer.write(name, stream, info.compress_size)
    except ContainerRefusedError:
        raise
    except (*_DECOMPRESSION_ERRORS, RuntimeError) as exc:
        return RefusedMember(
            name, ErrorCategory.CORRUPT_FILE, f"the member cannot be decompressed: {exc}"
        )


class _Prefixed:
    """A stream whose first bytes were already read: they come first again."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                taken, self._head = self._head, b""
                return taken
            taken, self._head = self._head[:size], self._head[size:]
            return taken
        return self._rest.read(size)


class _CountingReader:
    """A decompressed stream whose every byte counts against the container's limits."""

    def __init__(self, stream: Readable, writer: MemberWriter) -> None:
        self._stream = stream
        self._writer = writer
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size if size >= 0 else 1024 * 1024)
        self.read_bytes += len(data)
        limits = self._writer.limits
        # Headers and padding are a sliver of a real archive: twice the limits is generous.
        if self.read_bytes > 2 * limits.max_total_bytes:
            raise ContainerRefusedError(
                f"the container expands to more than {limits.max_total_bytes} bytes "
                "(GREENHOUSE_CONTAINER_MAX_TOTAL_BYTES)"
            )
        if self.read_bytes > 2 * 1024 * 1024:
            ratio = self.read_bytes / self._writer.compressed_bytes
            if ratio > 2 * limits.max_ratio:
                raise ContainerRefusedError(
                    f"the container expands {ratio:.0f}-fold: a compression ratio over "
                    f"{limits.max_ratio:g}:1 (GREENHOUSE_CONTAINER_MAX_RATIO)"
                )
        return data


def expand_tar(path: Path, target: Path, limits: ContainerLimits) -> Expansion:
    """A plain (uncompressed) tar's members."""
    with path.open("rb") as raw:
        writer = MemberWriter(target, limits, path.stat().st_size)
        return _expand_tar_stream(_CountingReader(raw, writer), writer)


def expand_gzip(path: Path, target: Path, limits: ContainerLimits, name_hint: str) -> Expansion:
    """A gzip file: a tar inside it is expanded member by member; anything else is one member,
    named as the gzip header says, else after the container (`name_hint` without `.gz`)."""
    writer = MemberWriter(target, limits, path.stat().st_size)
    try:
        with gzip.open(path, "rb") as unzipped:
            head = unzipped.read(_TAR_MAGIC_OFFSET + 8)  # all of it unless the stream ends
            stream = _CountingReader(_Prefixed(head, unzipped), writer)
            if head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar":
                return _expand_tar_stream(stream, writer)
            name = normalise_member_path(_gzip_name(path) or _strip_gz(name_hint)) or "content"
            writer.admit()
            return Expansion([writer.write(name, stream)])
    except ContainerRefusedError:
        raise
    except (gzip.BadGzipFile, *_DECOMPRESSION_ERRORS) as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the gzip cannot be read: {exc}") from exc


def _expand_tar_stream(stream: Readable, writer: MemberWriter) -> Expansion:
    expansion = Expansion()
    entries = 0
    try:
        with tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|") as archive:
            for info in archive:
                entries += 1
                if entries > _ENTRY_FACTOR * writer.limits.max_members:
                    raise ContainerRefusedError(
                        f"the archive holds more than {_ENTRY_FACTOR * writer.limits.max_members}"
                        " entries (GREENHOUSE_CONTAINER_MAX_MEMBERS)"
                    )
                member = _tar_member(archive, info, writer)
                if member is not None:
                    expansion.members.append(member)
    except ContainerRefusedError:
        raise
    except (tarfile.TarError, *_DECOMPRESSION_ERRORS) as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the tar cannot be read: {exc}") from exc
    return expansion


def _tar_member(
    archive: tarfile.TarFile, info: tarfile.TarInfo, writer: MemberWriter
) -> ExtractedMember | RefusedMember | None:
    if info.isdir():
        return None
    name = normalise_member_path(info.name)
    if name is None:
        return refused_path(info.name)
    if is_junk(name):
        return None
    if info.issym() or info.islnk():
        return refused_link(name)
    if not info.isfile():
        return RefusedMember(
            name, ErrorCategory.UNSUPPORTED_MEDIA, "a device or pipe inside the archive"
        )
    if info.size == 0:
        return None
    writer.admit()
    writer.check_declared(name, info.size, None)
    stream = archive.extractfile(info)
    if stream is None:
        return None
    return writer.write(name, stream)


def _gzip_name(path: Path) -> str | None:
    """The original file name a gzip header carries (FNAME), if any."""
    with path.open("rb") as raw:
        header = raw.read(10)
        if len(header) < 10 or not header[3] & 0x08:
            return None
        if header[3] & 0x04:
            extra = int.from_bytes(raw.read(2), "little")
            raw.seek(extra, 1)
        name = bytearray()
        while (byte := raw.read(1)) not in (b"", b"\x00") and len(name) < 1024:
            name += byte
    return name.decode("latin-1") or None


def _strip_gz(name: str) -> str:
    lowered = name.lower()
    for suffix in (".gz", ".gzip"):
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    if lowered.endswith(".tgz"):
        return name[:-4] + ".tar"
    return name
