"""Minimal containers for sniffing tests: OOXML, ODF, EPUB and plain ZIPs, OLE2 compound files,
tar and gzip, all built in memory from nothing but their structure."""

import gzip
import io
import struct
import tarfile
import zipfile

__all__ = ["compound_file", "epub_zip", "odf_zip", "ooxml_zip", "plain_zip", "tar_bytes"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="application/vnd.{type}+xml"/>'
    "</Types>"
)
_OOXML = {
    "docx": ("word/document.xml", "openxmlformats-officedocument.wordprocessingml.document.main"),
    "pptx": (
        "ppt/presentation.xml",
        "openxmlformats-officedocument.presentationml.presentation.main",
    ),
    "xlsx": ("xl/workbook.xml", "openxmlformats-officedocument.spreadsheetml.sheet.main"),
}


def ooxml_zip(
    kind: str, content_types_first: bool = True, with_content_types: bool = True
) -> bytes:
    """A DOCX, PPTX or XLSX skeleton: `[Content_Types].xml` (first or last) and the main part."""
    part, content_type = _OOXML[kind]
    members = [("_rels/.rels", "<Relationships/>"), (part, "<root/>")]
    if with_content_types:
        types = ("[Content_Types].xml", _CONTENT_TYPES.format(part=part, type=content_type))
        members = [types, *members] if content_types_first else [*members, types]
    return _zip(members)


def odf_zip(mimetype: str) -> bytes:
    """An ODF or EPUB package: `mimetype` first and stored, then the content."""
    return _zip([("mimetype", mimetype), ("content.xml", "<office:document-content/>")])


def epub_zip() -> bytes:
    return odf_zip("application/epub+zip")


def plain_zip() -> bytes:
    return _zip([("notes.txt", "hello"), ("data/table.csv", "a,b\n1,2\n")])


def _zip(members: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members:
            method = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, text, compress_type=method)
    return buffer.getvalue()


def tar_bytes(compressed: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        payload = b"hello"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    data = buffer.getvalue()
    return gzip.compress(data) if compressed else data


_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF


def compound_file(stream_names: list[str]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) whose root holds empty streams with
    these names: a header, one FAT sector, one directory sector (at most three streams)."""
    assert len(stream_names) <= 3
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0)
    struct.pack_into("<I", header, 76, 0)
    for index in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * index, _FREESECT)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, _FATSECT, _ENDOFCHAIN)
    directory = bytearray()
    directory += _entry("Root Entry", 5, right=_NOSTREAM, child=1 if stream_names else _NOSTREAM)
    for number, name in enumerate(stream_names, start=1):
        right = number + 1 if number < len(stream_names) else _NOSTREAM
        directory += _entry(name, 2, right=right, child=_NOSTREAM)
    while len(directory) < 512:
        directory += _entry("", 0, right=_NOSTREAM, child=_NOSTREAM)
    return bytes(header + fat + directory)


def _entry(name: str, entry_type: int, right: int, child: int) -> bytes:
    entry = bytearray(128)
    encoded = name.encode("utf-16-le")
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<H", entry, 64, len(encoded) + 2 if name else 0)
    entry[66] = entry_type
    entry[67] = 1
    struct.pack_into("<III", entry, 68, _NOSTREAM, right, child)
    struct.pack_into("<IQ", entry, 116, _ENDOFCHAIN if entry_type else 0, 0)
    return bytes(entry)
