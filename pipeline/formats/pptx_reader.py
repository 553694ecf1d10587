"""PPTX: one slide chunk per slide (`page_number` = slide number, `title` from its title
placeholder, the slide's size in points), each followed by the image chunks of its pictures.

python-pptx parses every XML part when the file opens, so a slide whose XML is not
well-formed fails the file (`corrupt_file`, naming the part); a slide python-pptx opens but
cannot walk fails alone (`page_error`).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pptx import Presentation

from pipeline.errors import InvalidChunkError, SourceError
from pipeline.formats.content import A4, page_content
from pipeline.formats.ooxml import library_errors, open_package
from pipeline.formats.pictures import picture_chunks
from pipeline.formats.pptx_shapes import slide_blocks, slide_title
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.extractions import PageContentData, PageSize

__all__ = ["PptxReader"]

_EMU_PER_POINT = 12700


class PptxReader:
    """PowerPoint decks (PPTX) by their slides."""

    name = "pptx"
    media_types = frozenset({MediaType.PPTX})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        deck = open_package(path, Presentation, "PPTX")
        with library_errors("the PPTX cannot be read"):
            page = _slide_size(deck)
            slides = list(deck.slides)
        if not slides:
            raise SourceError(ErrorCategory.NO_PAGES, "the presentation has no slides")
        seen: set[str] = set()
        seq = 0
        for number, slide in enumerate(slides, start=1):
            title, pictures = _slide_summary(slide, number)
            yield ChunkDescriptor(
                seq=seq,
                kind=ChunkKind.SLIDE,
                page_number=number,
                width=page.width,
                height=page.height,
                title=title,
            )
            seq += 1
            for chunk in picture_chunks(path, pictures, seq, number, seen):
                yield chunk
                seq += 1

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        if chunk.page_number is None:
            raise InvalidChunkError("a slide chunk has no slide number")
        deck = open_package(path, Presentation, "PPTX")
        number = chunk.page_number
        with library_errors(f"slide {number} cannot be read", ErrorCategory.PAGE_ERROR):
            slides = deck.slides
            if number > len(slides):
                raise SourceError(ErrorCategory.PAGE_ERROR, f"slide {number} does not exist")
            blocks = slide_blocks(slides[number - 1]).blocks
            page = _slide_size(deck)
        return page_content(blocks, self.name, page)


def _slide_summary(slide: Any, number: int) -> tuple[str | None, list[Any]]:
    """The slide's title and pictures; a slide that cannot be walked has neither (its job
    reports the error)."""
    try:
        with library_errors(f"slide {number} cannot be read", ErrorCategory.PAGE_ERROR):
            return slide_title(slide), slide_blocks(slide).pictures
    except SourceError:
        return None, []


def _slide_size(deck: Any) -> PageSize:
    width, height = deck.slide_width, deck.slide_height
    if not width or not height:
        return A4
    return PageSize(
        width=round(width / _EMU_PER_POINT, 2), height=round(height / _EMU_PER_POINT, 2)
    )
