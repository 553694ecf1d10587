"""DOCX: one section chunk (several past `SECTION_BLOCKS` blocks) plus an image chunk per
embedded picture worth a job.

The blocks of the whole file, in order: the headers' paragraphs (`page_header`), the body
(`docx_flow`), the footnotes in reference order (`footnote`, text `[n] …`), the footers'
paragraphs (`page_footer`). Headers, footers and footnotes are furniture: in the JSON, out of
the body text and Markdown. The page size is the last section's `w:pgSz`.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
from lxml import etree

from pipeline.formats.content import A4, block, page_content, section_chunks, section_slice
from pipeline.formats.docx_flow import FlowContext, Walked, paragraph_text, walk_body
from pipeline.formats.docx_styles import Numbering, StyleSheet
from pipeline.formats.ooxml import library_errors, open_package, q
from pipeline.formats.pictures import picture_chunks
from pipeline.sources.safe_xml import parse_xml
from schemas.blocks import BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import MediaType
from schemas.extractions import PageContentData, PageSize

__all__ = ["DocxReader", "read_docx"]

_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_TWIPS_PER_POINT = 20


class DocxReader:
    """Word documents (DOCX) by their structure."""

    name = "docx"
    media_types = frozenset({MediaType.DOCX})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        walked, _ = read_docx(path)
        sections = list(section_chunks(len(walked.blocks)))
        seen: set[str] = set()
        seq = 0
        for section in sections:
            yield section.model_copy(update={"seq": seq})
            seq += 1
            start = section.row_start or 0
            end = section.row_end if section.row_end is not None else len(walked.blocks) + 1
            refs = [ref for index, ref in walked.pictures if start <= index < end]
            for chunk in picture_chunks(path, refs, seq, section.page_number or 1, seen):
                yield chunk
                seq += 1

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        walked, page = read_docx(path)
        return page_content(section_slice(walked.blocks, chunk), self.name, page)


def read_docx(path: Path) -> tuple[Walked, PageSize]:
    """Every block of the document and its page size."""
    document = open_package(path, docx.Document, "DOCX")
    with library_errors("the DOCX cannot be read"):
        part = document.part
        context = FlowContext(
            styles=StyleSheet.parse(_related_root(part, "styles")),
            numbering=Numbering.parse(_related_root(part, "numbering")),
            member_of=lambda rel_id: _member(part, rel_id),
        )
        body = part.element.find(q("w:body"))
        walked = Walked()
        _furniture(part, "header", BlockKind.PAGE_HEADER, context, walked)
        if body is not None:
            walk_body(body, context, walked)
        _footnotes(part, context, walked)
        _furniture(part, "footer", BlockKind.PAGE_FOOTER, context, walked)
        page = _page_size(body)
    return walked, page


def _related_parts(part: Any, reltype: str) -> list[Any]:
    rels = [rel for rel in part.rels.values() if rel.reltype == _RT + reltype]
    parts = [rel.target_part for rel in rels if not rel.is_external]
    return sorted(parts, key=lambda p: str(p.partname))


def _related_root(part: Any, reltype: str) -> etree._Element | None:
    for related in _related_parts(part, reltype):
        element = getattr(related, "element", None)
        if element is not None:
            return element
        return parse_xml(related.blob, str(related.partname).lstrip("/"))
    return None


def _member(part: Any, rel_id: str) -> str | None:
    rel = part.rels.get(rel_id)
    if rel is None or rel.is_external:
        return None
    return str(rel.target_part.partname).lstrip("/")


def _furniture(
    part: Any, reltype: str, kind: BlockKind, context: FlowContext, walked: Walked
) -> None:
    """Headers' or footers' paragraphs, each distinct text once."""
    seen: set[str] = set()
    for related in _related_parts(part, reltype):
        root = _part_root(related)
        inner = FlowContext(context.styles, context.numbering, lambda _: None, {})
        for paragraph in root.iter(q("w:p")):
            text, _ = paragraph_text(paragraph, inner)
            if text and text not in seen:
                seen.add(text)
                walked.blocks.append(block(kind, text))


def _footnotes(part: Any, context: FlowContext, walked: Walked) -> None:
    related = _related_parts(part, "footnotes")
    if not related or not context.footnotes:
        return
    root = _part_root(related[0])
    notes = {note.get(q("w:id")): note for note in root.iter(q("w:footnote"))}
    inner = FlowContext(context.styles, context.numbering, lambda _: None, {})
    for note_id, number in sorted(context.footnotes.items(), key=lambda item: item[1]):
        note = notes.get(note_id)
        if note is None:
            continue
        texts = [paragraph_text(p, inner)[0] for p in note.iter(q("w:p"))]
        text = " ".join(t for t in texts if t)
        walked.blocks.append(block(BlockKind.FOOTNOTE, f"[{number}] {text}".strip()))


def _part_root(related: Any) -> etree._Element:
    element = getattr(related, "element", None)
    if element is not None:
        return element
    return parse_xml(related.blob, str(related.partname).lstrip("/"))


def _page_size(body: etree._Element | None) -> PageSize:
    if body is None:
        return A4
    size = body.find(f"{q('w:sectPr')}/{q('w:pgSz')}")
    if size is None:
        return A4
    try:
        width = int(size.get(q("w:w")) or 0) / _TWIPS_PER_POINT
        height = int(size.get(q("w:h")) or 0) / _TWIPS_PER_POINT
    except ValueError:
        return A4
    return PageSize(width=width, height=height) if width > 0 and height > 0 else A4
