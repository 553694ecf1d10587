"""Cutting a file into chunk descriptors, lazily, one page at a time."""

from collections.abc import Generator, Iterator
from dataclasses import asdict
from pathlib import Path

import pymupdf

from pipeline.chunking.formats import STRUCTURED_MEDIA, chunk_structured
from pipeline.chunking.media import chunk_audio, chunk_video
from pipeline.errors import PdfError, PipelineError
from pipeline.sources.images import frame_sizes
from pipeline.sources.legibility import PageLegibility, measure_image_frame, page_legibility
from pipeline.sources.mupdf import mupdf_errors
from pipeline.sources.pdf import open_pdf
from pipeline.sources.pdfium import PDFIUM_PARSER, PdfiumDocument, open_pdfium
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.media import AUDIO_MEDIA, IMAGE_MEDIA, VIDEO_MEDIA

__all__ = ["chunk_file", "chunk_image", "chunk_pdf", "chunk_pdf_with_pdfium"]


def chunk_file(
    path: Path, media_type: MediaType, *, legibility: bool = True
) -> Iterator[ChunkDescriptor]:
    """Yield the chunks of a file of a sniffed media type, or raise a categorised error.

    `legibility`: measure what the visual token budget needs (a page's text profile, the text
    in a scan's, image's or keyframe's pixels); without it those fields stay None (no visual
    chunk of the document can reach the model tier, the budget's only reader)."""
    if path.stat().st_size == 0:
        raise PipelineError(ErrorCategory.EMPTY_FILE, "the file is empty (0 bytes)")
    if media_type is MediaType.PDF:
        yield from chunk_pdf(path, legibility=legibility)
        return
    if media_type in IMAGE_MEDIA:
        yield from chunk_image(path, legibility=legibility)
        return
    if media_type in AUDIO_MEDIA:
        yield from chunk_audio(path)
        return
    if media_type in VIDEO_MEDIA:
        yield from chunk_video(path, legibility=legibility)
        return
    if media_type in STRUCTURED_MEDIA:
        yield from chunk_structured(path, media_type)
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


def chunk_pdf(path: Path, *, legibility: bool = True) -> Generator[ChunkDescriptor, None, None]:
    """Yield one descriptor per page, with its legibility measures when `legibility`.

    Only the page tree is walked (`load_page` parses a page's dictionary, not its content
    stream), so a 2,000-page document costs a few kilobytes per page here, besides the
    measures (a text page's "dict", a scan's grey render).
    """
    try:
        document = open_pdf(path)
    except PdfError as error:
        if error.category not in _FALLBACK_CATEGORIES:
            raise
        yield from chunk_pdf_with_pdfium(path, error)
        return
    try:
        for index in range(document.page_count):
            yield _describe_page(document, index, legibility)
    finally:
        with mupdf_errors(ErrorCategory.CORRUPT_FILE, "the PDF cannot be closed"):
            document.close()


_FALLBACK_CATEGORIES = frozenset({ErrorCategory.CORRUPT_FILE, ErrorCategory.NO_PAGES})
"""MuPDF failures PDFium gets a try on (an encrypted or empty file is not retried)."""


def chunk_pdf_with_pdfium(path: Path, mupdf_error: PdfError) -> Iterator[ChunkDescriptor]:
    """The pages PDFium finds in a PDF MuPDF could not open or found empty, marked as such.

    If PDFium cannot open it or finds no pages either, MuPDF's error is the document's."""
    try:
        document = open_pdfium(path)
    except PdfError as pdfium_error:
        raise mupdf_error from pdfium_error
    with document:
        pages = document.page_count
        if pages == 0:
            raise mupdf_error
        for index in range(pages):
            yield _describe_pdfium_page(document, index)


def _describe_pdfium_page(document: PdfiumDocument, index: int) -> ChunkDescriptor:
    try:
        page = document.read_page(index)
    except PdfError:
        return ChunkDescriptor(
            seq=index,
            kind=ChunkKind.PDF_PAGE,
            page_number=index + 1,
            parser=PDFIUM_PARSER,
            repaired=True,
        )
    return ChunkDescriptor(
        seq=index,
        kind=ChunkKind.PDF_PAGE,
        page_number=index + 1,
        width=round(page.width, 2),
        height=round(page.height, 2),
        rotation=page.rotation,
        has_text_layer=bool(page.text.strip()),
        parser=PDFIUM_PARSER,
        repaired=True,
    )


def _describe_page(document: pymupdf.Document, index: int, legibility: bool) -> ChunkDescriptor:
    try:
        with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {index + 1} cannot be read"):
            page = document.load_page(index)
            rect = page.rect
            rotation = page.rotation
            # A page without fonts has no text layer at all (a scan or a drawing). Whether an
            # existing layer is usable is judged when the page runs: measuring it needs the text.
            has_text_layer = bool(page.get_fonts())
            measures = page_legibility(page, has_text_layer) if legibility else PageLegibility()
    except PdfError:
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
        **asdict(measures),
    )


def chunk_image(path: Path, *, legibility: bool = True) -> Iterator[ChunkDescriptor]:
    """One chunk per frame (multi-page TIFFs have several), with the text measured in it
    when `legibility`.

    Sizes come from the headers, so oversized images (decompression bombs) and broken headers
    fail here, before decoding; each frame is then decoded once, small, to measure its text.
    """
    for index, (width, height) in enumerate(frame_sizes(path)):
        measure = measure_image_frame(path, index) if legibility else None
        yield ChunkDescriptor(
            seq=index,
            kind=ChunkKind.IMAGE,
            page_number=index + 1,
            width=width,
            height=height,
            has_text_layer=False,
            text_area_share=measure.text_area_share if measure else None,
            min_text_height=measure.min_text_height if measure else None,
        )
