"""Container expansion: members written per second, and how fast bombs are refused.

Run on demand from the repository root (not a test; about 15 s, mostly building the bombs):

    .venv/bin/python bench/containers.py [--members 1000] [--member-bytes 20000] [--repeat 3]
        [--out c.json]

Members per second: a ZIP (deflated) and a tar.gz of `--members` members of `--member-bytes`
bytes each (random words, compressing about 3:1) expanded with `expand_container` into a
temporary folder (hashing and writing each member), best of `--repeat`. Bombs, each refused
with `too_large` before anything stays on disk, timed from the call to the refusal:

- `zip-1GiB-honest`: one deflated member of 1 GiB of zeros (about 1 MiB on disk): refused by
  its declared ratio before a byte is decompressed;
- `zip-1GiB-forged`: a small member whose headers claim 1 GiB: refused from the headers;
- `gzip-1GiB`: 1 GiB of zeros gzipped (no size header to trust): refused while streaming, once
  the bytes read pass the ratio.
"""

import argparse
import gzip
import io
import json
import random
import struct
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.chunking.containers import expand_container
from pipeline.sources.expansion import ContainerLimits, ContainerRefusedError, clear_target
from schemas.enums import MediaType

GIB = 1024**3
WORDS = [
    "greenhouse",
    "tomato",
    "basil",
    "humidity",
    "irrigation",
    "harvest",
    "sensor",
    "valve",
    "dawn",
    "dusk",
]


def _member(rng: random.Random, size: int) -> bytes:
    text = " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(size // 8))
    return text.encode()[:size]


def _zip(members: list[bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, data in enumerate(members):
            archive.writestr(f"dir{index % 10}/member-{index}.txt", data)
    return out.getvalue()


def _tar_gz(members: list[bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for index, data in enumerate(members):
            info = tarfile.TarInfo(f"dir{index % 10}/member-{index}.txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _zeros_deflated(total: int) -> tuple[bytes, int]:
    """Raw deflate of `total` zero bytes and their CRC, built a MiB at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1024 * 1024)
    crc = 0
    pieces = []
    for _ in range(total // len(block)):
        pieces.append(compressor.compress(block))
        crc = zlib.crc32(block, crc)
    pieces.append(compressor.flush())
    return b"".join(pieces), crc


def _honest_zip_bomb() -> bytes:
    """One stored entry whose deflated data is 1 GiB of zeros, written by hand (zipfile would
    compress it again, slowly)."""
    data, crc = _zeros_deflated(GIB)
    name = b"zeros.bin"
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), GIB, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(data),
        GIB,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + name + data
    directory = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


def _forged_zip_bomb() -> bytes:
    """A 1 KiB member whose local and central headers declare 1 GiB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("claims-1GiB.bin", bytes(1024))
    data = bytearray(out.getvalue())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 22 : local + 26] = struct.pack("<I", GIB)
    data[central + 24 : central + 28] = struct.pack("<I", GIB)
    return bytes(data)


def _gzip_bomb() -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        block = bytes(1024 * 1024)
        for _ in range(GIB // len(block)):
            handle.write(block)
    return out.getvalue()


def _expand_seconds(folder: Path, data: bytes, media: MediaType, repeat: int) -> float:
    source = folder / "container"
    source.write_bytes(data)
    best = float("inf")
    for _ in range(repeat):
        target = folder / "out"
        started = time.perf_counter()
        limits = ContainerLimits(max_members=1_000_000)
        expansion = expand_container(source, media, target, limits)
        best = min(best, time.perf_counter() - started)
        assert expansion.extracted
        clear_target(target)
    return best


def _refusal(folder: Path, data: bytes, media: MediaType) -> dict[str, Any]:
    source = folder / "bomb"
    source.write_bytes(data)
    target = folder / "bomb-out"
    started = time.perf_counter()
    try:
        expand_container(source, media, target, ContainerLimits())
    except ContainerRefusedError as refused:
        seconds = time.perf_counter() - started
        left = list(target.rglob("*")) if target.exists() else []
        return {
            "on_disk_bytes": len(data),
            "refused_ms": round(seconds * 1000, 2),
            "files_left": len(left),
            "message": refused.message,
        }
    raise AssertionError("the bomb was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--member-bytes", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(7)
    members = [_member(rng, args.member_bytes) for _ in range(args.members)]
    report: dict[str, Any] = {"members": args.members, "member_bytes": args.member_bytes}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for label, data, media in (
            ("zip", _zip(members), MediaType.ZIP),
            ("tar.gz", _tar_gz(members), MediaType.GZIP),
        ):
            seconds = _expand_seconds(folder, data, media, args.repeat)
            report[label] = {
                "container_bytes": len(data),
                "seconds": round(seconds, 3),
                "members_per_second": round(args.members / seconds),
                "mib_per_second": round(args.members * args.member_bytes / seconds / 2**20, 1),
            }
        report["bombs"] = {
            "zip-1GiB-honest": _refusal(folder, _honest_zip_bomb(), MediaType.ZIP),
            "zip-1GiB-forged": _refusal(folder, _forged_zip_bomb(), MediaType.ZIP),
            "gzip-1GiB": _refusal(folder, _gzip_bomb(), MediaType.GZIP),
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
