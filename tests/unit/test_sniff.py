import io
import wave
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from pipeline.sources.sniff import sniff_bytes, sniff_file
from schemas.enums import MediaType


def _image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format=fmt)
    return buffer.getvalue()


def _wav_bytes() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"\x00\x00" * 160)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("PNG", MediaType.PNG),
        ("JPEG", MediaType.JPEG),
        ("TIFF", MediaType.TIFF),
        ("WEBP", MediaType.WEBP),
        ("BMP", MediaType.BMP),
        ("GIF", MediaType.GIF),
    ],
)
def test_images_are_recognised_from_their_bytes(fmt: str, expected: MediaType) -> None:
    assert sniff_bytes(_image_bytes(fmt)) is expected


def test_pdf_is_recognised_even_after_leading_junk() -> None:
    pdf = pymupdf.open()
    pdf.new_page()
    data = pdf.tobytes()
    assert sniff_bytes(data) is MediaType.PDF
    assert sniff_bytes(b"\r\n junk" + data) is MediaType.PDF


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"fLaC\x00\x00\x00\x22", MediaType.FLAC),
        (b"OggS\x00\x02", MediaType.OGG),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", MediaType.MP3),
        (b"\xff\xfb\x90\x64", MediaType.MP3),
        (b"FORM\x00\x00\x00\x10AIFF", MediaType.AIFF),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", MediaType.MP4),
        (b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00", MediaType.M4A),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00", MediaType.QUICKTIME),
        (b"RIFF\x00\x00\x00\x00AVI LIST", MediaType.AVI),
        (b"\x1aE\xdf\xa3\x01\x00\x00\x00\x00\x00\x00\x1fB\x86\x81\x01webm", MediaType.WEBM),
    ],
)
def test_audio_and_video_containers(head: bytes, expected: MediaType) -> None:
    assert sniff_bytes(head) is expected


def test_wav_file() -> None:
    assert sniff_bytes(_wav_bytes()) is MediaType.WAV


@pytest.mark.parametrize("head", [b"", b"\xff\xff\xff\xff"])
def test_noise_is_unknown(head: bytes) -> None:
    assert sniff_bytes(head) is MediaType.UNKNOWN


@pytest.mark.parametrize(
    "head", [b"hello world, plain text", b"BMW is a car brand and not a bitmap"]
)
def test_text_is_text_not_a_bitmap(head: bytes) -> None:
    assert sniff_bytes(head) is MediaType.TEXT


def test_file_name_is_ignored(tmp_path: Path) -> None:
    disguised = tmp_path / "report.pdf"
    disguised.write_bytes(_image_bytes("PNG"))
    assert sniff_file(disguised) is MediaType.PNG
