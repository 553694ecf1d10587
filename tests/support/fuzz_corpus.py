"""Hostile inputs made from valid files the project generates: a seeded, deterministic corpus.

Seeds: a native-text PDF, a scanned PDF, PNG, JPEG, a multi-page TIFF, WAV, OGG (the speech
fixture's first seconds) and an MP4 video with sound. Mutations: truncation and byte flips for
every format; for PDFs also damaged cross-reference tables and trailers, a cycle in the page
tree, deep nesting, absurd MediaBoxes and an image XObject claiming absurd dimensions; for PNG
and WAV, headers claiming absurd sizes. `write_fuzz_corpus(folder, count, seed)` writes
`count` files and returns their paths; the same arguments always give the same bytes.
"""

import io
import math
import random
import re
import struct
import subprocess
import tempfile
import wave
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from PIL import Image

from pipeline.sources.ffmpeg import locate_tools
from tests.support.media import SPEECH_CLIP

__all__ = ["Mutant", "fuzz_mutants", "seed_files", "write_fuzz_corpus"]

_PAGE_WIDTH, _PAGE_HEIGHT = 200, 200  # square and small: OCR of a mutant costs little
_SPEECH_SECONDS = 2.5


@dataclass(frozen=True)
class Mutant:
    """One hostile file: its name (seed, mutation, number) and bytes."""

    name: str
    data: bytes


def write_fuzz_corpus(folder: Path, count: int, seed: int) -> list[Path]:
    """Write `count` mutated PDFs, images, audio and video files into `folder` (created if
    needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for mutant in fuzz_mutants(count, seed):
        path = folder / mutant.name
        path.write_bytes(mutant.data)
        paths.append(path)
    return paths


def fuzz_mutants(count: int, seed: int) -> list[Mutant]:
    """`count` mutants, cycling over every (seed file, mutation) pair in a seeded order."""
    rng = random.Random(seed)
    seeds = seed_files()
    plan: list[tuple[str, str, Callable[[bytes, random.Random], bytes]]] = []
    for seed_name in seeds:
        for mutation_name, mutation in _mutations_for(seed_name).items():
            plan.append((seed_name, mutation_name, mutation))
    mutants = []
    for number in range(count):
        seed_name, mutation_name, mutation = plan[number % len(plan)]
        stem, suffix = seed_name.rsplit(".", 1)
        data = mutation(seeds[seed_name], rng)
        mutants.append(Mutant(f"{number:04d}-{stem}-{mutation_name}.{suffix}", data))
    return mutants


def seed_files() -> dict[str, bytes]:
    """The valid files mutations start from, by name (the suffix names the format)."""
    picture = _text_picture("Fuzz seed 42", "harvest")
    return {
        "text.pdf": _text_pdf(),
        "scan.pdf": _scanned_pdf(picture),
        "picture.png": _encoded(picture, "PNG"),
        "picture.jpg": _encoded(picture, "JPEG"),
        "pages.tif": _multipage_tiff(picture),
        "tone.wav": _wav(),
        "speech.ogg": _speech_excerpt(),
        "clip.mp4": _video_clip(),
    }


# --- seeds ----------------------------------------------------------------------------------


def _text_pdf() -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=_PAGE_WIDTH, height=_PAGE_HEIGHT)
    page.insert_text((20, 40), "Page 1: seedling invoice", fontsize=11)
    page.insert_text((20, 70), "Quarterly revenue of the orchard", fontsize=11)
    data = bytes(
        document.tobytes(no_new_id=True)
    )  # no object streams, no compression: every key is visible
    document.close()
    return data


def _scanned_pdf(picture: Image.Image) -> bytes:
    document = pymupdf.open()
    page = document.new_page(width=_PAGE_WIDTH, height=_PAGE_HEIGHT)
    page.insert_image(page.rect, stream=_encoded(picture, "PNG"))
    data = bytes(document.tobytes(no_new_id=True))
    document.close()
    return data


def _text_picture(*lines: str) -> Image.Image:
    document = pymupdf.open()
    page = document.new_page(width=100, height=80)
    for number, line in enumerate(lines):
        page.insert_text((6, 26 + 22 * number), line, fontsize=13)
    pixmap = page.get_pixmap(dpi=96)
    document.close()
    return Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)


def _encoded(picture: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, image_format)
    return buffer.getvalue()


def _multipage_tiff(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    frames = [picture, picture.convert("L")]
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def _speech_excerpt() -> bytes:
    """The first seconds of the speech fixture, cut without re-encoding."""
    with tempfile.TemporaryDirectory() as folder:
        excerpt = Path(folder) / "speech.ogg"
        command = [locate_tools().ffmpeg, "-v", "error", "-i", str(SPEECH_CLIP)]
        command += ["-t", str(_SPEECH_SECONDS), "-c", "copy", "-fflags", "+bitexact"]
        command += ["-y", str(excerpt)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return excerpt.read_bytes()


def _video_clip() -> bytes:
    """Three seconds of ffmpeg's test pattern with a tone (MPEG-4 and AAC), bit-exact."""
    with tempfile.TemporaryDirectory() as folder:
        clip = Path(folder) / "clip.mp4"
        command = [locate_tools().ffmpeg, "-v", "error"]
        command += ["-f", "lavfi", "-i", "testsrc=size=128x96:rate=4:duration=3"]
        command += ["-f", "lavfi", "-i", "sine=frequency=300:duration=3:sample_rate=16000"]
        command += ["-c:v", "mpeg4", "-c:a", "aac", "-shortest"]
        command += ["-fflags", "+bitexact", "-flags", "+bitexact", "-y", str(clip)]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
        return clip.read_bytes()


def _wav(seconds: float = 1.2, rate: int = 16000) -> bytes:
    """A tone with a pause in the middle (two segments of sound)."""
    samples = []
    for index in range(int(seconds * rate)):
        time = index / rate
        loud = not 0.5 <= time < 0.7
        samples.append(int(9000 * math.sin(2 * math.pi * 220 * time)) if loud else 0)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


# --- mutations ------------------------------------------------------------------------------


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randint(1, len(data) - 1)]


def _flip(data: bytes, rng: random.Random) -> bytes:
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutated[rng.randrange(len(mutated))] = rng.randrange(256)
    return bytes(mutated)


def _flip_after_header(data: bytes, rng: random.Random) -> bytes:
    """Flips past the first 16 bytes, so the file is still sniffed as its format."""
    mutated = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutated[rng.randrange(16, len(mutated))] = rng.randrange(256)
    return bytes(mutated)


def _damage_xref(data: bytes, rng: random.Random) -> bytes:
    choice = rng.randrange(5)
    if choice == 0:  # offsets that point anywhere
        return re.sub(
            rb"(\d{10}) 00000 n",
            lambda match: b"%010d 00000 n" % rng.randrange(len(data) * 2),
            data,
        )
    if choice == 1:  # no cross-reference table at all
        start = data.rfind(b"xref")
        end = data.rfind(b"trailer")
        return data[:start] + data[end:]
    if choice == 2:  # startxref past the end of the file
        return re.sub(rb"startxref\s+\d+", b"startxref\n999999999", data)
    if choice == 3:  # a trailer without a /Root
        return data.replace(b"/Root", b"/Rxxt")
    return data.replace(b"trailer", b"tr@iler")  # an unparseable trailer


def _page_tree_cycle(data: bytes, rng: random.Random) -> bytes:
    del rng
    document = pymupdf.open(stream=data, filetype="pdf")
    pages = int(document.xref_get_key(document.pdf_catalog(), "Pages")[1].split()[0])
    kids = document.xref_get_key(pages, "Kids")[1]
    document.xref_set_key(pages, "Kids", kids.replace("]", f" {pages} 0 R]"))
    result = bytes(document.tobytes(no_new_id=True))
    document.close()
    return result


def _deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice([100, 2_000, 20_000])
    if rng.random() < 0.5:  # spliced in as bytes: MuPDF refuses to write it (stack overflow)
        nested = b" /Deep " + b"[" * depth + b"]" * depth + b" "
        return re.sub(rb"/Type\s*/Page(?!s)", lambda match: match.group(0) + nested, data)
    document = pymupdf.open(stream=data, filetype="pdf")
    result = _nested_page_tree(document, min(depth, 300))  # a chain of /Pages nodes
    document.close()
    return result


def _nested_page_tree(document: pymupdf.Document, depth: int) -> bytes:
    root = int(document.xref_get_key(document.pdf_catalog(), "Pages")[1].split()[0])
    first_page = document[0].xref
    parent = root
    for _ in range(depth):
        node = document.get_new_xref()
        document.update_object(node, f"<< /Type /Pages /Parent {parent} 0 R /Count 1 >>")
        document.xref_set_key(parent, "Kids", f"[{node} 0 R]")
        parent = node
    document.xref_set_key(parent, "Kids", f"[{first_page} 0 R]")
    document.xref_set_key(first_page, "Parent", f"{parent} 0 R")
    return bytes(document.tobytes(no_new_id=True))


_ABSURD_BOXES = (
    "[0 0 1e30 1e30]",
    "[0 0 0 0]",
    "[0 0 -600 -800]",
    "[0 0 14400000 1]",
    "[0 0 1e999 1]",
    "[0 0 null 5]",
    "[1 2]",
    "42",
)


def _absurd_media_box(data: bytes, rng: random.Random) -> bytes:
    document = pymupdf.open(stream=data, filetype="pdf")
    for page in range(document.page_count):
        document.xref_set_key(document[page].xref, "MediaBox", rng.choice(_ABSURD_BOXES))
    if rng.random() < 0.5:
        document.xref_set_key(document[0].xref, "Rotate", rng.choice(["45", "-7", "1e9"]))
    result = bytes(document.tobytes(no_new_id=True))
    document.close()
    return result


def _absurd_image_size(data: bytes, rng: random.Random) -> bytes:
    """The scanned page's image claims dimensions its data cannot fill (or nonsense)."""
    width, height = rng.choice([(0, 0), (-5, 10), (60_000, 60_000), (1, 4_000_000), (3, 1)])
    return re.sub(rb"/Width \d+", b"/Width %d" % width, data).replace(
        b"/Height ", b"/Height %d /Ignored " % height, 1
    )


def _png_absurd_size(data: bytes, rng: random.Random) -> bytes:
    width, height = rng.choice([(100_000, 100_000), (0, 10), (2**31 - 1, 1), (1, 1)])
    header = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + header + struct.pack(">I", zlib.crc32(header)) + data[33:]


def _wav_absurd_size(data: bytes, rng: random.Random) -> bytes:
    fields = rng.choice([(0xFFFFFFFF, 0xFFFFFFFF), (0, 0), (36, 10**9)])
    mutated = bytearray(data)
    mutated[4:8] = struct.pack("<I", fields[0])
    mutated[40:44] = struct.pack("<I", fields[1])
    if rng.random() < 0.5:
        mutated[24:28] = struct.pack("<I", rng.choice([0, 2**31]))  # sample rate
    return bytes(mutated)


_Mutation = Callable[[bytes, random.Random], bytes]
_COMMON: dict[str, _Mutation] = {
    "truncated": _truncate,
    "flipped": _flip_after_header,
    "flipped-anywhere": _flip,
}
_PDF: dict[str, _Mutation] = {
    "xref": _damage_xref,
    "cycle": _page_tree_cycle,
    "nested": _deep_nesting,
    "mediabox": _absurd_media_box,
}


def _mutations_for(seed_name: str) -> dict[str, _Mutation]:
    if seed_name == "scan.pdf":
        return {**_COMMON, **_PDF, "imagesize": _absurd_image_size}
    if seed_name.endswith(".pdf"):
        return {**_COMMON, **_PDF}
    if seed_name.endswith(".png"):
        return {**_COMMON, "header": _png_absurd_size}
    if seed_name.endswith(".wav"):
        return {**_COMMON, "header": _wav_absurd_size}
    return dict(_COMMON)
