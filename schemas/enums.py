"""Enumerations of the job ledger: states, tiers, media types and error categories."""

from enum import StrEnum


class JobState(StrEnum):
    """Lifecycle of one job: queued -> running -> succeeded | failed | waiting."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WAITING = "waiting"


TERMINAL_JOB_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED})


class DocumentStatus(StrEnum):
    """Lifecycle of a document: queued -> processing -> done | partial | failed."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    PARTIAL = "partial"
    FAILED = "failed"


TERMINAL_DOCUMENT_STATUSES = frozenset(
    {DocumentStatus.DONE, DocumentStatus.PARTIAL, DocumentStatus.FAILED}
)


class Tier(StrEnum):
    """Where a job runs: the embedded CPU tier, the vLLM MoE server or the edge speech server."""

    LOCAL = "local"
    MOE = "moe"
    EDGE = "edge"


class MediaType(StrEnum):
    """Media types recognised from magic bytes."""

    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"
    TIFF = "image/tiff"
    WEBP = "image/webp"
    BMP = "image/bmp"
    GIF = "image/gif"
    WAV = "audio/wav"
    FLAC = "audio/flac"
    MP3 = "audio/mpeg"
    OGG = "audio/ogg"
    AIFF = "audio/aiff"
    MP4 = "video/mp4"
    M4A = "audio/mp4"
    QUICKTIME = "video/quicktime"
    AVI = "video/x-msvideo"
    MATROSKA = "video/x-matroska"
    WEBM = "video/webm"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ODT = "application/vnd.oasis.opendocument.text"
    ODP = "application/vnd.oasis.opendocument.presentation"
    ODS = "application/vnd.oasis.opendocument.spreadsheet"
    EPUB = "application/epub+zip"
    DOC = "application/msword"
    PPT = "application/vnd.ms-powerpoint"
    XLS = "application/vnd.ms-excel"
    MSG = "application/vnd.ms-outlook"
    RTF = "application/rtf"
    CSV = "text/csv"
    TSV = "text/tab-separated-values"
    HTML = "text/html"
    MARKDOWN = "text/markdown"
    TEXT = "text/plain"
    EML = "message/rfc822"
    ZIP = "application/zip"
    TAR = "application/x-tar"
    GZIP = "application/gzip"
    UNKNOWN = "application/octet-stream"


class ChunkKind(StrEnum):
    """What one job covers."""

    PDF_PAGE = "pdf_page"
    IMAGE = "image"
    VIDEO_FRAME = "video_frame"
    SPEECH_SEGMENT = "speech_segment"
    SECTION = "section"
    """A run of a flowing document's blocks (DOCX, ODT, HTML, Markdown, text, an e-mail body)."""
    SLIDE = "slide"
    """One slide of a deck (PPTX, ODP), speaker notes included."""
    SHEET = "sheet"
    """A range of rows of one sheet (XLSX, ODS) or of a CSV/TSV file."""


class ErrorCategory(StrEnum):
    """Stable error categories stored on jobs and documents and returned by the API."""

    EMPTY_FILE = "empty_file"
    UNSUPPORTED_MEDIA = "unsupported_media"
    CORRUPT_FILE = "corrupt_file"
    ENCRYPTED = "encrypted"
    NO_PAGES = "no_pages"
    PAGE_ERROR = "page_error"
    TOO_LARGE = "too_large"
    SCHEMA_VIOLATION = "schema_violation"
    WORKER_LOST = "worker_lost"
    BLOB_MISSING = "blob_missing"
    TRANSIENT = "transient"
    TIMEOUT = "timeout"
    INVALID_OPTIONS = "invalid_options"
    MODEL_REJECTED = "model_rejected"
    INTERNAL = "internal"
    TIER_UNAVAILABLE = "tier_unavailable"
    PARTIAL_FAILURE = "partial_failure"
    CRASHED = "crashed"
