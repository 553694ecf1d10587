"""Which media types and chunk kinds go together: the sets every layer shares."""

from schemas.enums import ChunkKind, MediaType

__all__ = [
    "AUDIO_MEDIA",
    "IMAGE_MEDIA",
    "SUPPORTED_MEDIA",
    "VIDEO_MEDIA",
    "VISUAL_KINDS",
]

IMAGE_MEDIA = frozenset(
    {MediaType.PNG, MediaType.JPEG, MediaType.TIFF, MediaType.WEBP, MediaType.BMP}
)
AUDIO_MEDIA = frozenset(
    {MediaType.WAV, MediaType.FLAC, MediaType.MP3, MediaType.OGG, MediaType.AIFF, MediaType.M4A}
)
VIDEO_MEDIA = frozenset(
    {MediaType.MP4, MediaType.QUICKTIME, MediaType.AVI, MediaType.MATROSKA, MediaType.WEBM}
)
SUPPORTED_MEDIA = frozenset({MediaType.PDF}) | IMAGE_MEDIA | AUDIO_MEDIA | VIDEO_MEDIA
"""Media types Greenhouse processes; any other sniffed type ends `unsupported_media`."""

VISUAL_KINDS = frozenset({ChunkKind.PDF_PAGE, ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME})
"""Chunk kinds that are pictures: rendered for the MoE tier, OCRed on the local tier."""
