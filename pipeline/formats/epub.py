"""EPUB: a ZIP of XHTML documents, read in spine order.

`META-INF/container.xml` names the package document (OPF); its manifest maps ids to hrefs
and its spine lists the reading order. Each spine document is one section (`part` = its path
inside the ZIP, `page_number` its ordinal among the sections), cut every `SECTION_BLOCKS`
blocks, and is read by the HTML reader. Members are read through `pipeline.sources.members`
(declared and actual sizes capped, compression bombs refused) and the XML through
`pipeline.sources.safe_xml` (no entities, no DTD, no network). Pictures are figures with their
alt text; nothing else in the ZIP is read.
"""

import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from lxml import etree

from pipeline.errors import SourceError
from pipeline.formats.content import SECTION_BLOCKS, page_content, section_slice
from pipeline.formats.html import html_blocks
from pipeline.sources.members import read_member
from pipeline.sources.safe_xml import parse_xml
from schemas.blocks import Block
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["EpubReader", "spine_documents"]

_CONTAINER: Final = "META-INF/container.xml"
_MAX_XML_BYTES: Final = 8 * 1024 * 1024
_DOCUMENT_TYPES: Final = frozenset({"application/xhtml+xml", "text/html", "application/xml"})
_MAX_SPINE: Final = 10_000


class EpubReader:
    """EPUB books (2 and 3)."""

    name = "epub"
    media_types = frozenset({MediaType.EPUB})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        del media_type
        page = 0
        for href in spine_documents(path):
            count = len(_document_blocks(path, href))
            starts = range(0, count, SECTION_BLOCKS) if count > SECTION_BLOCKS else [None]
            for start in starts:
                page += 1
                yield ChunkDescriptor(
                    seq=page - 1,
                    kind=ChunkKind.SECTION,
                    page_number=page,
                    part=href,
                    row_start=start,
                    row_end=None if start is None else min(start + SECTION_BLOCKS, count),
                )
        if page == 0:
            raise SourceError(ErrorCategory.NO_PAGES, "the EPUB's spine lists no documents")

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        if chunk.part is None:
            raise SourceError(ErrorCategory.INTERNAL, "an EPUB section chunk needs its part")
        blocks = _document_blocks(path, chunk.part)
        return page_content(section_slice(blocks, chunk), self.name)


def spine_documents(path: Path) -> list[str]:
    """The ZIP paths of the spine's (X)HTML documents, in reading order."""
    container = parse_xml(read_member(path, _CONTAINER, _MAX_XML_BYTES), _CONTAINER)
    rootfile = next((e.get("full-path") for e in container.iter() if _local(e) == "rootfile"), None)
    if not rootfile:
        raise SourceError(ErrorCategory.CORRUPT_FILE, "container.xml names no package document")
    package = parse_xml(read_member(path, rootfile, _MAX_XML_BYTES), rootfile)
    base = posixpath.dirname(rootfile)
    manifest: dict[str, tuple[str, str]] = {}
    for element in package.iter():
        if _local(element) == "item" and element.get("id") and element.get("href"):
            href = posixpath.normpath(posixpath.join(base, unquote(element.get("href") or "")))
            manifest[element.get("id") or ""] = (href, element.get("media-type") or "")
    documents: list[str] = []
    for element in package.iter():
        if _local(element) != "itemref" or len(documents) >= _MAX_SPINE:
            continue
        href, media = manifest.get(element.get("idref") or "", ("", ""))
        if href and media in _DOCUMENT_TYPES and not href.startswith("../"):
            documents.append(href)
    return documents


def _document_blocks(path: Path, href: str) -> list[Block]:
    return html_blocks(read_member(path, href))


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
