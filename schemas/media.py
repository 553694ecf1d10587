"""Which media types and chunk kinds go together: the sets every layer shares."""

from schemas.enums import ChunkKind, MediaType

__all__ = [
    "ARCHIVE_MEDIA",
    "AUDIO_MEDIA",
    "CONTAINER_MEDIA",
    "IMAGE_MEDIA",
    "MAIL_MEDIA",
    "OFFICE_MEDIA",
    "STRUCTURED_KINDS",
    "STRUCTURED_SUPPORTED",
    "SUPPORTED_MEDIA",
    "TEXT_MEDIA",
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
OFFICE_MEDIA = frozenset(
    {
        MediaType.DOCX,
        MediaType.PPTX,
        MediaType.XLSX,
        MediaType.ODT,
        MediaType.ODP,
        MediaType.ODS,
        MediaType.EPUB,
        MediaType.RTF,
        MediaType.DOC,
        MediaType.PPT,
        MediaType.XLS,
    }
)
"""Office documents: read by their structure into sections, slides or sheets."""
TEXT_MEDIA = frozenset(
    {MediaType.CSV, MediaType.TSV, MediaType.HTML, MediaType.MARKDOWN, MediaType.TEXT}
)
"""Text formats: sniffed from their content, decoded with a detected encoding."""
MAIL_MEDIA = frozenset({MediaType.EML, MediaType.MSG})
"""E-mails: headers as fields, the body as blocks, attachments as child documents."""
ARCHIVE_MEDIA = frozenset({MediaType.ZIP, MediaType.TAR, MediaType.GZIP})
"""Archives: no content of their own, every member a child document."""
CONTAINER_MEDIA = MAIL_MEDIA | ARCHIVE_MEDIA
"""Files whose parts become child documents of their own."""
STRUCTURED_SUPPORTED = (
    frozenset(
        {
            MediaType.DOCX,
            MediaType.PPTX,
            MediaType.XLSX,
            MediaType.ODT,
            MediaType.ODP,
            MediaType.ODS,
            MediaType.XLS,
            MediaType.EPUB,
            MediaType.RTF,
        }
    )
    | TEXT_MEDIA
    | MAIL_MEDIA
)
"""Office, text and e-mail formats with a reader (`pipeline.formats.registry`) that needs
nothing outside the Python packages. DOC and PPT have a reader too, but only where
LibreOffice is installed (without it they end `unsupported_media` naming the package)."""
SUPPORTED_MEDIA = (
    frozenset({MediaType.PDF})
    | IMAGE_MEDIA
    | AUDIO_MEDIA
    | VIDEO_MEDIA
    | STRUCTURED_SUPPORTED
    | ARCHIVE_MEDIA
)
"""Media types Greenhouse processes; any other sniffed type ends `unsupported_media`."""

VISUAL_KINDS = frozenset({ChunkKind.PDF_PAGE, ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME})
"""Chunk kinds that are pictures: rendered for the MoE tier, OCRed on the local tier."""

STRUCTURED_KINDS = frozenset({ChunkKind.SECTION, ChunkKind.SLIDE, ChunkKind.SHEET})
"""Chunk kinds read from a file's own structure (office, web, text, e-mail) on the local tier."""
