"""PPTX: one slide chunk per slide (`page_number` = slide number, `title` from its title
placeholder, the slide's size in points), each followed by the image chunks of its pictures.

python-pptx parses every XML part when the file opens; a slide whose XML is not well-formed is
replaced by an empty one in a private copy (`opened_deck`) and its chunk fails alone
(`page_error`, naming the part), as does a slide python-pptx opens but cannot walk; any other
broken part fails the file (`corrupt_file`, naming the part).
"""

import re
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pptx import Presentation

from pipeline.errors import InvalidChunkError, SourceError
from pipeline.formats.content import A4, page_content
from pipeline.formats.ooxml import library_errors, open_package
from pipeline.formats.pictures import picture_chunks
from pipeline.formats.pptx_shapes import slide_blocks, slide_title
from pipeline.sources.members import member_names, read_member, zip_errors
from pipeline.sources.safe_xml import parse_xml
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.extractions import PageContentData, PageSize

__all__ = ["PptxReader"]

_EMU_PER_POINT = 12700
_SLIDE_PART = re.compile(r"^ppt/slides/slide[0-9]+\.xml$")
_EMPTY_SLIDE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    b' xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main">'
    b'<p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/>'
    b"</p:nvGrpSpPr><p:grpSpPr/></p:spTree></p:cSld></p:sld>"
)


class PptxReader:
    """PowerPoint decks (PPTX) by their slides."""

    name = "pptx"
    media_types = frozenset({MediaType.PPTX})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        with opened_deck(path) as (deck, broken), library_errors("the PPTX cannot be read"):
            page = _slide_size(deck)
            slides = list(deck.slides)
        if not slides:
            raise SourceError(ErrorCategory.NO_PAGES, "the presentation has no slides")
        seen: set[str] = set()
        seq = 0
        for number, slide in enumerate(slides, start=1):
            title, pictures = (None, []) if number in broken else _slide_summary(slide, number)
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
        number = chunk.page_number
        with (
            opened_deck(path) as (deck, broken),
            library_errors(f"slide {number} cannot be read", ErrorCategory.PAGE_ERROR),
        ):
            if number in broken:
                raise SourceError(ErrorCategory.PAGE_ERROR, f"slide {number}: {broken[number]}")
            slides = deck.slides
            if number > len(slides):
                raise SourceError(ErrorCategory.PAGE_ERROR, f"slide {number} does not exist")
            blocks = slide_blocks(slides[number - 1]).blocks
            page = _slide_size(deck)
        return page_content(blocks, self.name, page)


@contextmanager
def opened_deck(path: Path) -> Iterator[tuple[Any, dict[int, str]]]:
    """The deck and its broken slides (number → why). python-pptx parses every part when it
    opens a file, so one slide whose XML is not well-formed would fail them all: such slides
    are replaced by empty ones in a private copy, and their chunks fail alone."""
    try:
        deck = open_package(path, Presentation, "PPTX")
    except SourceError:
        broken = _broken_slide_parts(path)
        if not broken:
            raise
        with tempfile.TemporaryDirectory(prefix="greenhouse-pptx-") as work:
            repaired = Path(work) / "repaired.pptx"
            _replace_members(path, repaired, dict.fromkeys(broken, _EMPTY_SLIDE))
            deck = open_package(repaired, Presentation, "PPTX")
        with library_errors("the PPTX cannot be read"):
            numbers = {
                number: broken[str(slide.part.partname).lstrip("/")]
                for number, slide in enumerate(deck.slides, start=1)
                if str(slide.part.partname).lstrip("/") in broken
            }
        yield deck, numbers
        return
    yield deck, {}


def _broken_slide_parts(path: Path) -> dict[str, str]:
    broken = {}
    for name in member_names(path):
        if not _SLIDE_PART.match(name):
            continue
        try:
            parse_xml(read_member(path, name), name)
        except SourceError as error:
            if error.category is ErrorCategory.CORRUPT_FILE:
                broken[name] = error.message
    return broken


def _replace_members(source: Path, target: Path, replacements: dict[str, bytes]) -> None:
    with (
        zip_errors("the PPTX cannot be repaired"),
        zipfile.ZipFile(source) as old,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            if info.filename in replacements:
                new.writestr(info.filename, replacements[info.filename])
            else:
                new.writestr(info.filename, read_member(source, info.filename))


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
