"""Media type detection from the bytes; the file name is never consulted.

`sniff_bytes` decides from a head (magic numbers, then containers, then text formats);
`sniff_file` also reads a ZIP's central directory or an OLE2 file's directory, which lie
beyond the head (`sniff_containers`). Text formats are told apart in `sniff_text`.
"""

from pathlib import Path

from pipeline.sources.sniff_containers import (
    OLE_MAGIC,
    ZIP_MAGICS,
    sniff_archive_head,
    sniff_ole_file,
    sniff_ole_head,
    sniff_zip_file,
    sniff_zip_head,
)
from pipeline.sources.sniff_text import looks_like_eml, looks_like_rtf, sniff_text
from schemas.enums import MediaType

__all__ = ["SNIFF_BYTES", "sniff_bytes", "sniff_file"]

SNIFF_BYTES = 4096

_MP4_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"M4P ")
_QUICKTIME_BRANDS = (b"qt  ",)
_MP3_FRAME_SYNC_MASK = 0xFFE0
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def sniff_bytes(head: bytes) -> MediaType:
    """Classify a file from its first bytes (at least the first 4 KiB for PDFs with junk)."""
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return MediaType.PDF
    simple = _sniff_fixed_signature(head)
    if simple is not None:
        return simple
    if head[:4] == b"RIFF" and len(head) >= 12:
        return _sniff_riff(head[8:12])
    if head[4:8] == b"ftyp":
        return _sniff_iso_bmff(head[8:12])
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return MediaType.AIFF
    if head[:4] == b"\x1aE\xdf\xa3":
        return MediaType.WEBM if b"webm" in head[:64] else MediaType.MATROSKA
    container = _sniff_container(head)
    if container is not None:
        return container
    if head.startswith(_TEXT_BOMS):  # before MP3: FF FE passes its frame-sync test
        return _sniff_text_formats(head)
    if _looks_like_mp3(head):
        return MediaType.MP3
    return _sniff_text_formats(head)


def sniff_file(path: Path) -> MediaType:
    """Classify a file on disk from its head, and a ZIP or OLE2 file from its directory."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    verdict = sniff_bytes(head)
    if head.startswith(ZIP_MAGICS):
        return sniff_zip_file(path, verdict)
    if head.startswith(OLE_MAGIC):
        return sniff_ole_file(path, verdict)
    return verdict


def _sniff_container(head: bytes) -> MediaType | None:
    if head.startswith(ZIP_MAGICS):
        return sniff_zip_head(head)
    if head.startswith(OLE_MAGIC):
        return sniff_ole_head(head)
    return sniff_archive_head(head)


def _sniff_text_formats(head: bytes) -> MediaType:
    if not head:
        return MediaType.UNKNOWN
    if looks_like_rtf(head):
        return MediaType.RTF
    if looks_like_eml(head):
        return MediaType.EML
    return sniff_text(head, truncated=len(head) >= SNIFF_BYTES)


def _sniff_fixed_signature(head: bytes) -> MediaType | None:
    signatures: tuple[tuple[bytes, MediaType], ...] = (
        (b"\x89PNG\r\n\x1a\n", MediaType.PNG),
        (b"\xff\xd8\xff", MediaType.JPEG),
        (b"II*\x00", MediaType.TIFF),
        (b"MM\x00*", MediaType.TIFF),
        (b"GIF87a", MediaType.GIF),
        (b"GIF89a", MediaType.GIF),
        (b"fLaC", MediaType.FLAC),
        (b"OggS", MediaType.OGG),
        (b"BM", MediaType.BMP),
    )
    for signature, media_type in signatures:
        if head.startswith(signature):
            if media_type is MediaType.BMP and not _plausible_bmp(head):
                continue
            return media_type
    return None


def _plausible_bmp(head: bytes) -> bool:
    # "BM" is a short signature: also require the reserved fields to be zero and a known
    # DIB header size, so text starting with "BM" is not taken for a bitmap.
    if len(head) < 18:
        return False
    reserved = head[6:10]
    dib_size = int.from_bytes(head[14:18], "little")
    return reserved == b"\x00\x00\x00\x00" and dib_size in (12, 40, 52, 56, 64, 108, 124)


def _sniff_riff(form: bytes) -> MediaType:
    return {
        b"WAVE": MediaType.WAV,
        b"WEBP": MediaType.WEBP,
        b"AVI ": MediaType.AVI,
    }.get(form, MediaType.UNKNOWN)


def _sniff_iso_bmff(brand: bytes) -> MediaType:
    if brand in _MP4_AUDIO_BRANDS:
        return MediaType.M4A
    if brand in _QUICKTIME_BRANDS:
        return MediaType.QUICKTIME
    return MediaType.MP4


def _looks_like_mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):
        return True
    if len(head) < 4:
        return False
    sync = int.from_bytes(head[:2], "big")
    if sync & _MP3_FRAME_SYNC_MASK != _MP3_FRAME_SYNC_MASK:
        return False
    version_bits = (head[1] >> 3) & 0b11
    layer_bits = (head[1] >> 1) & 0b11
    bitrate_index = head[2] >> 4
    return version_bits != 0b01 and layer_bits != 0b00 and bitrate_index not in (0, 0b1111)
