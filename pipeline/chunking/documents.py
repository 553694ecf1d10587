"""Cutting a file into chunk descriptors, lazily, one page at a time."""

from collections.abc import Generator, Iterator
from pathlib import Path

import pymupdf

from pipeline.chunking.media import chunk_audio, chunk_video
from pipeline.errors import PipelineError
from pipeline.sources.images import frame_sizes
from pipeline.sources.pdf import open_pdf
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType

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


def chunk_file(path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
    """Yield the chunks of a file of a sniffed media type, or raise a categorised error."""
    if path.stat().st_size == 0:
        raise PipelineError(ErrorCategory.EMPTY_FILE, "the file is empty (0 bytes)")
    if media_type is MediaType.PDF:
        yield from chunk_pdf(path)
        return
    if media_type in IMAGE_MEDIA:
        yield from chunk_image(path)
        return
    if media_type in AUDIO_MEDIA:
        yield from chunk_audio(path)
        return
    if media_type in VIDEO_MEDIA:
        yield from chunk_video(path)
        return
    if media_type is MediaType.UNKNOWN:
        raise PipelineError(
            ErrorCategory.UNSUPPORTED_MEDIA,
            "unrecognised file type: the content matches no supported document, image, "
            "audio or video format",
        )
    raise PipelineError(
        ErrorCategory.UNSUPPORTED_MEDIA,
        f"{media_type.value} files are recognised but not supported by this version",
    )


def chunk_pdf(path: Path) -> Generator[ChunkDescriptor, None, None]:
    """Yield one descriptor per page without loading page contents.

    Only the page tree is walked (`load_page` parses a page's dictionary, not its content
    stream), so a 2,000-page document costs a few kilobytes per page here.
    """
    document = open_pdf(path)
    try:
        for index in range(document.page_count):
            yield _describe_page(document, index)
    finally:
        document.close()


def _describe_page(document: pymupdf.Document, index: int) -> ChunkDescriptor:
    try:
        page = document.load_page(index)
        rect = page.rect
        rotation = page.rotation
        # A page without fonts has no text layer at all (a scan or a drawing). Whether an
        # existing layer is usable is judged when the page runs: measuring it needs the text.
        has_text_layer = bool(page.get_fonts())
    except (RuntimeError, ValueError):
        # The page will fail alone when its job runs; the chunk still exists.
        return ChunkDescriptor(seq=index, kind=ChunkKind.PDF_PAGE, page_number=index + 1)
    return ChunkDescriptor(
        seq=index,
        kind=ChunkKind.PDF_PAGE,
        page_number=index + 1,
        width=round(rect.width, 2),
        height=round(rect.height, 2),
        rotation=rotation,
        has_text_layer=has_text_layer,
    )


def chunk_image(path: Path) -> Iterator[ChunkDescriptor]:
    """One chunk per frame (multi-page TIFFs have several); sizes from the headers only.

    Oversized images (decompression bombs) and broken headers fail here, before decoding.
    """
    for index, (width, height) in enumerate(frame_sizes(path)):
        yield ChunkDescriptor(
            seq=index,
            kind=ChunkKind.IMAGE,
            page_number=index + 1,
            width=width,
            height=height,
            has_text_layer=False,
        )
