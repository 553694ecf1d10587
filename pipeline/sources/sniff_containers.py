"""Which format a ZIP, OLE2 compound file, tar or gzip holds, from its own directory.

OOXML, ODF and EPUB are ZIPs: `[Content_Types].xml` names the main part (word/document.xml →
DOCX, ppt/presentation.xml → PPTX, xl/workbook.xml → XLSX); ODF and EPUB store their media type
uncompressed in a first member called `mimetype`. Any other ZIP is a ZIP. OLE2 files (DOC, XLS,
PPT, MSG) are told apart by the streams at their root: `WordDocument`, `Workbook`/`Book`,
`PowerPoint Document`, and `__substg1.0_…`/`__properties_version1.0` for Outlook messages.

From a head alone (`*_head`), only what the first bytes hold is used: ZIP local headers, an OLE
directory sector that happens to lie in the head. With the file (`*_file`), the ZIP central
directory and the OLE directory are read (bounded: a central directory of at most 50,000
entries and 16 MiB, as its end record declares, else the head's verdict stands;
`[Content_Types].xml` up to 1 MiB; the OLE FAT and directory). A container that cannot be
read keeps its head's verdict: sniffing never fails, the format's reader reports the damage.
"""

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Final

import defusedxml.ElementTree as SafeElementTree
import olefile
from defusedxml import DefusedXmlException

from schemas.enums import MediaType

__all__ = [
    "OLE_MAGIC",
    "ZIP_MAGICS",
    "sniff_archive_head",
    "sniff_ole_file",
    "sniff_ole_head",
    "sniff_zip_file",
    "sniff_zip_head",
]

ZIP_MAGICS: Final = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_CONTENT_TYPES_BYTES: Final = 1 << 20
_MAX_ZIP_MEMBERS: Final = 50_000
_MAX_DIRECTORY_BYTES: Final = 16 << 20
_EOCD_SEARCH_BYTES: Final = 22 + 65535
_LOCAL_HEADER: Final = struct.Struct("<4sHHHHHIIIHH")
_ODF_AND_EPUB: Final = {
    "application/vnd.oasis.opendocument.text": MediaType.ODT,
    "application/vnd.oasis.opendocument.presentation": MediaType.ODP,
    "application/vnd.oasis.opendocument.spreadsheet": MediaType.ODS,
    "application/epub+zip": MediaType.EPUB,
}
_OOXML_MAIN_PARTS: Final = {
    "word/document.xml": MediaType.DOCX,
    "ppt/presentation.xml": MediaType.PPTX,
    "xl/workbook.xml": MediaType.XLSX,
}
_OOXML_MAIN_TYPES: Final = (
    ("wordprocessingml.document.main", MediaType.DOCX),
    ("wordprocessingml.template.main", MediaType.DOCX),
    ("ms-word.document.macroenabled.main", MediaType.DOCX),
    ("presentationml.presentation.main", MediaType.PPTX),
    ("presentationml.slideshow.main", MediaType.PPTX),
    ("ms-powerpoint.presentation.macroenabled.main", MediaType.PPTX),
    ("spreadsheetml.sheet.main", MediaType.XLSX),
    ("spreadsheetml.template.main", MediaType.XLSX),
    ("ms-excel.sheet.macroenabled.main", MediaType.XLSX),
)
_OLE_STREAMS: Final = (
    ("__properties_version1.0", MediaType.MSG),
    ("WordDocument", MediaType.DOC),
    ("Workbook", MediaType.XLS),
    ("Book", MediaType.XLS),
    ("PowerPoint Document", MediaType.PPT),
)
_CONTENT_TYPES: Final = "[Content_Types].xml"
_OLEFILE_ERRORS: Final = (
    OSError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    OverflowError,
    struct.error,
)
"""What olefile raises on a damaged compound file (it validates little itself)."""


def sniff_archive_head(head: bytes) -> MediaType | None:
    """TAR (ustar magic at 257) or GZIP (1f 8b; a .tar.gz is GZIP), else None."""
    if head[:2] == b"\x1f\x8b":
        return MediaType.GZIP
    if head[257:262] == b"ustar":
        return MediaType.TAR
    return None


def sniff_zip_head(head: bytes) -> MediaType:
    """A ZIP's format from the local headers in its first bytes."""
    names: list[str] = []
    for name, data in _local_members(head):
        if not names and name == "mimetype":
            media = _ODF_AND_EPUB.get(data.decode("ascii", errors="replace").strip())
            if media is not None:
                return media
        if name == _CONTENT_TYPES and data:
            media = _ooxml_from_content_types(data)
            if media is not None:
                return media
        names.append(name)
    return _ooxml_from_names(names) or MediaType.ZIP


def sniff_zip_file(path: Path, head_verdict: MediaType) -> MediaType:
    """A ZIP's format from its central directory (and `[Content_Types].xml`)."""
    if head_verdict in (MediaType.ODT, MediaType.ODP, MediaType.ODS, MediaType.EPUB):
        return head_verdict
    if not _directory_is_small(path):
        return head_verdict
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > _MAX_ZIP_MEMBERS:
                return head_verdict
            names = [info.filename for info in infos]
            content_types = _read_small(archive, _CONTENT_TYPES)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return head_verdict
    except (NotImplementedError, RuntimeError, struct.error, zlib.error, KeyError):
        return head_verdict
    media = _ooxml_from_content_types(content_types) if content_types else None
    return media or _ooxml_from_names(names) or head_verdict


def _directory_is_small(path: Path) -> bool:
    """True when the end-of-central-directory record declares at most `_MAX_ZIP_MEMBERS`
    entries in at most `_MAX_DIRECTORY_BYTES` (ZIP64 values, all ones, are not trusted), so
    zipfile may parse the directory; read from the last 64 KiB of the file."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - _EOCD_SEARCH_BYTES))
            tail = handle.read(_EOCD_SEARCH_BYTES)
    except OSError:
        return False
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return False
    entries, directory_bytes = (int(value) for value in struct.unpack_from("<HI", tail, at + 10))
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        return False
    return entries <= _MAX_ZIP_MEMBERS and directory_bytes <= _MAX_DIRECTORY_BYTES


def sniff_ole_head(data: bytes) -> MediaType:
    """An OLE2 file's format from bytes that may be the whole file or only its head."""
    found = _ole_from_streams(_ole_root_streams(data))
    if found is not None:
        return found
    return _ole_from_names_in_bytes(data) or MediaType.UNKNOWN


def sniff_ole_file(path: Path, head_verdict: MediaType) -> MediaType:
    """An OLE2 file's format from the streams at its root."""
    return _ole_from_streams(_ole_root_streams(path)) or head_verdict


def _local_members(head: bytes) -> list[tuple[str, bytes]]:
    """(name, content) of the members whose local header lies in `head`; content is empty when
    it does not fit or cannot be inflated."""
    members: list[tuple[str, bytes]] = []
    offset = 0
    while offset + _LOCAL_HEADER.size <= len(head) and len(members) < 64:
        fields = _LOCAL_HEADER.unpack_from(head, offset)
        if fields[0] != b"PK\x03\x04":
            break
        flags, method, compressed_size = fields[2], fields[3], fields[7]
        name_length, extra_length = fields[9], fields[10]
        name_start = offset + _LOCAL_HEADER.size
        data_start = name_start + name_length + extra_length
        name = head[name_start : name_start + name_length].decode("utf-8", errors="replace")
        described_later = bool(flags & 0x08)
        data_end = data_start + compressed_size
        content = b""
        if not described_later and data_end <= len(head):
            content = _member_content(head[data_start:data_end], method)
        members.append((name, content))
        if described_later or (compressed_size == 0 and method != 0):
            break
        offset = data_end
    return members


def _member_content(raw: bytes, method: int) -> bytes:
    if method == 0:
        return raw
    if method != 8:
        return b""
    try:
        inflater = zlib.decompressobj(-15)
        return inflater.decompress(raw, _MAX_CONTENT_TYPES_BYTES)
    except zlib.error:
        return b""


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > _MAX_CONTENT_TYPES_BYTES:
        return b""
    with archive.open(info) as member:
        return member.read(_MAX_CONTENT_TYPES_BYTES)


def _ooxml_from_content_types(data: bytes) -> MediaType | None:
    """The main part's content type in `[Content_Types].xml` (an Override)."""
    try:
        root = SafeElementTree.fromstring(data)
    except (SafeElementTree.ParseError, DefusedXmlException, ValueError, LookupError):
        return _ooxml_from_text(data)
    for element in root.iter():
        content_type = (element.get("ContentType") or "").lower()
        for marker, media in _OOXML_MAIN_TYPES:
            if content_type.endswith(marker + "+xml"):
                return media
    return None


def _ooxml_from_text(data: bytes) -> MediaType | None:
    lowered = data.lower()
    for marker, media in _OOXML_MAIN_TYPES:
        if marker.encode() in lowered:
            return media
    return None


def _ooxml_from_names(names: list[str]) -> MediaType | None:
    for name in names:
        media = _OOXML_MAIN_PARTS.get(name)
        if media is not None:
            return media
    return None


def _ole_root_streams(source: bytes | Path) -> list[str]:
    # Bytes go in as a file object: olefile takes short bytes for a file name.
    target = source if isinstance(source, Path) else io.BytesIO(source)
    try:
        with olefile.OleFileIO(target) as ole:
            entries = ole.listdir(streams=True, storages=True)
    except _OLEFILE_ERRORS:
        return []
    return [entry[0] for entry in entries if entry]


def _ole_from_streams(names: list[str]) -> MediaType | None:
    if any(name.startswith("__substg1.0_") for name in names):
        return MediaType.MSG
    for stream, media in _OLE_STREAMS:
        if stream in names:
            return media
    return None


_UTF16_NAMES: Final = re.compile(
    b"|".join(re.escape(name.encode("utf-16-le")) for name, _ in _OLE_STREAMS)
    + b"|"
    + re.escape("__substg1.0_".encode("utf-16-le"))
)


def _ole_from_names_in_bytes(data: bytes) -> MediaType | None:
    """Directory entry names (UTF-16) found in a head whose directory sector it holds."""
    found = {match.group(0).decode("utf-16-le") for match in _UTF16_NAMES.finditer(data)}
    if "__substg1.0_" in found:
        return MediaType.MSG
    return _ole_from_streams(sorted(found))
