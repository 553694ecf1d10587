"""OLE2 compound files (CFB version 3) built from streams, for MSG and DOC tests: every stream
under 4096 bytes lives in the mini stream, as the format requires; storages nest one level
per path component. Enough of the format for olefile and extract-msg to read."""

import itertools
import math
import struct
from dataclasses import dataclass, field

__all__ = ["build_compound_file"]

_SECTOR = 512
_MINI = 64
_ENDOFCHAIN = 0xFFFFFFFE
_FREESECT = 0xFFFFFFFF
_FATSECT = 0xFFFFFFFD
_NOSTREAM = 0xFFFFFFFF


@dataclass
class _Node:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: dict[str, "_Node"] = field(default_factory=dict)
    sid: int = 0
    right: int = _NOSTREAM
    start: int = _ENDOFCHAIN


def build_compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file holding `streams` ('storage/stream' paths, each under 4096 bytes)."""
    root = _Node("Root Entry", 5)
    for path, data in streams.items():
        assert len(data) < 4096, path
        node = root
        *storages, leaf = path.split("/")
        for part in storages:
            node = node.children.setdefault(part, _Node(part, 1))
        node.children[leaf] = _Node(leaf, 2, data)
    nodes = _number(root)
    mini = bytearray()
    mini_fat: list[int] = []
    for node in nodes:
        if node.kind == 2 and node.data:
            count = math.ceil(len(node.data) / _MINI)
            node.start = len(mini_fat)
            mini_fat += [len(mini_fat) + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN]
            mini += node.data.ljust(count * _MINI, b"\0")
    dir_sectors = math.ceil(len(nodes) * 128 / _SECTOR)
    minifat_sectors = math.ceil(len(mini_fat) * 4 / _SECTOR) if mini_fat else 0
    mini_sectors = math.ceil(len(mini) / _SECTOR)
    payload = dir_sectors + minifat_sectors + mini_sectors
    fat_sectors = 1
    while fat_sectors * _SECTOR // 4 < fat_sectors + payload:
        fat_sectors += 1
    assert fat_sectors <= 109
    fat: list[int] = [_FATSECT] * fat_sectors
    first_dir = len(fat)
    fat += _chain(first_dir, dir_sectors)
    first_minifat = len(fat) if minifat_sectors else _ENDOFCHAIN
    fat += _chain(len(fat), minifat_sectors)
    root.start = len(fat) if mini_sectors else _ENDOFCHAIN
    root.data = bytes(len(mini))  # only its size counts
    fat += _chain(len(fat), mini_sectors)
    fat += [_FREESECT] * (fat_sectors * _SECTOR // 4 - len(fat))
    header = bytearray(_SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into(
        "<IIIIIIIII", header, 40, 0, fat_sectors, first_dir, 0, 4096,
        first_minifat, minifat_sectors, _ENDOFCHAIN, 0,
    )  # fmt: skip
    for index in range(109):
        struct.pack_into("<I", header, 76 + 4 * index, index if index < fat_sectors else _FREESECT)
    directory = b"".join(_entry(node) for node in nodes)
    directory = directory.ljust(dir_sectors * _SECTOR, b"\0")
    directory = _blank_unused(directory, len(nodes))
    minifat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    minifat_bytes += b"\xff" * (minifat_sectors * _SECTOR - len(minifat_bytes))
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + minifat_bytes
    body += bytes(mini).ljust(mini_sectors * _SECTOR, b"\0")
    return bytes(header) + body


def _chain(first: int, count: int) -> list[int]:
    return [first + i + 1 for i in range(count - 1)] + ([_ENDOFCHAIN] if count else [])


def _number(root: _Node) -> list[_Node]:
    nodes = [root]
    pending = [root]
    while pending:
        node = pending.pop(0)
        children = _ordered(node)
        for child in children:
            child.sid = len(nodes)
            nodes.append(child)
            pending.append(child)
        for left, right in itertools.pairwise(children):
            left.right = right.sid
    return nodes


def _ordered(node: _Node) -> list[_Node]:
    return sorted(node.children.values(), key=lambda c: (len(c.name), c.name.upper()))


def _entry(node: _Node) -> bytes:
    entry = bytearray(128)
    encoded = node.name.encode("utf-16-le")
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<H", entry, 64, len(encoded) + 2)
    entry[66] = node.kind
    entry[67] = 1  # black
    children = _ordered(node)
    child = children[0].sid if children else _NOSTREAM
    struct.pack_into("<III", entry, 68, _NOSTREAM, node.right, child)
    struct.pack_into("<IQ", entry, 116, node.start, len(node.data))
    return bytes(entry)


def _blank_unused(directory: bytes, used: int) -> bytes:
    out = bytearray(directory)
    for index in range(used, len(out) // 128):
        struct.pack_into("<III", out, index * 128 + 68, _NOSTREAM, _NOSTREAM, _NOSTREAM)
    return bytes(out)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _properties(entries: list[tuple[int, int]], header: int) -> bytes:
    """A `__properties_version1.0` stream: a header of `header` bytes, then fixed-size
    properties as (tag, 4-byte integer value), readable and writable."""
    out = bytearray(header)
    for tag, value in entries:
        out += struct.pack("<IIQ", tag, 0x6, value)
    return bytes(out)


def build_msg(
    subject: str,
    sender: str,
    to: str,
    cc: str,
    date: str,
    body: str,
    html: bytes | None,
    attachments: list[tuple[str, str, bytes]],
) -> bytes:
    """A minimal Outlook message: message class, subject, sender, recipients' display lines,
    transport headers, plain and HTML bodies, and attachments by value."""
    headers = (
        f"From: {sender}\r\nTo: {to}\r\nCc: {cc}\r\nDate: {date}\r\nSubject: {subject}\r\n\r\n"
    )
    streams: dict[str, bytes] = {
        "__substg1.0_001A001F": _utf16("IPM.Note"),
        "__substg1.0_0037001F": _utf16(subject),
        "__substg1.0_0C1A001F": _utf16(sender),
        "__substg1.0_0E04001F": _utf16(to),
        "__substg1.0_0E03001F": _utf16(cc),
        "__substg1.0_007D001F": _utf16(headers),
        "__substg1.0_1000001F": _utf16(body),
        "__nameid_version1.0/__substg1.0_00020102": b"",
        "__nameid_version1.0/__substg1.0_00030102": b"",
        "__nameid_version1.0/__substg1.0_00040102": b"",
    }
    if html is not None:
        streams["__substg1.0_10130102"] = html
    count = len(attachments)
    top = bytearray(32)
    struct.pack_into("<IIII", top, 8, 0, count, 0, count)
    streams["__properties_version1.0"] = bytes(top)
    for index, (filename, mime, data) in enumerate(attachments):
        storage = f"__attach_version1.0_#{index:08X}"
        streams[f"{storage}/__substg1.0_3707001F"] = _utf16(filename)
        streams[f"{storage}/__substg1.0_3704001F"] = _utf16(filename[:8])
        streams[f"{storage}/__substg1.0_370E001F"] = _utf16(mime)
        streams[f"{storage}/__substg1.0_37010102"] = data
        streams[f"{storage}/__properties_version1.0"] = _properties(
            [(0x37050003, 1), (0x0E200003, len(data))], 8
        )
    return build_compound_file(streams)
