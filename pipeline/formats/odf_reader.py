"""OpenDocument files read from their XML (`content.xml`, `styles.xml`) with the safe parser.

- ODT: one section chunk (several past `SECTION_BLOCKS`) of the text (`odf_text`), the
  master pages' headers and footers as furniture, footnotes last; image chunks follow.
- ODP: one slide chunk per `draw:page` (title from its `presentation:class="title"` frame),
  frames in reading order (top to bottom, left to right by `svg:y`/`svg:x`): the title frame
  a section header (level 2), outline frames' lists as list items, other text boxes as
  paragraphs, tables, pictures; the notes page's text after a `Notes:` paragraph.
- ODS: one table per sheet (`table:table`), cells as displayed (their `text:p`), spans,
  repeated rows and columns expanded only up to the last non-empty one; sheets cut into
  row ranges like every sheet (`sheets`).
"""

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from pipeline.errors import InvalidChunkError, SourceError
from pipeline.formats.content import block, page_content, section_chunks, section_slice
from pipeline.formats.odf_text import OdfFlow, list_styles, o
from pipeline.formats.pictures import PictureRef, picture_chunks
from pipeline.formats.pptx_shapes import NOTES_MARKER
from pipeline.formats.sheets import SheetRows, sheet_blocks, sheet_chunks, used_range
from pipeline.sources.members import read_member
from pipeline.sources.safe_xml import parse_xml
from schemas.blocks import Block, BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["OdfReader", "read_ods_sheets"]

_MAX_REPEAT = 1_048_576
_UNITS_PT = {"pt": 1.0, "in": 72.0, "cm": 72 / 2.54, "mm": 72 / 25.4, "pc": 12.0, "px": 0.75}


class OdfReader:
    """OpenDocument text, presentations and spreadsheets (ODT, ODP, ODS)."""

    name = "odf"
    media_types = frozenset({MediaType.ODT, MediaType.ODP, MediaType.ODS})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        if media_type is MediaType.ODS:
            seq = 0
            for number, sheet in enumerate(read_ods_sheets(path), start=1):
                for chunk in sheet_chunks(len(sheet.rows), seq, number, sheet.name):
                    yield chunk
                    seq += 1
            return
        if media_type is MediaType.ODP:
            yield from _slide_chunks(path)
            return
        flow = _text_flow(path)
        seen: set[str] = set()
        seq = 0
        for section in section_chunks(len(flow.blocks)):
            yield section.model_copy(update={"seq": seq})
            seq += 1
            start = section.row_start or 0
            end = section.row_end if section.row_end is not None else len(flow.blocks) + 1
            refs = [ref for index, ref in flow.pictures if start <= index < end]
            for chunk in picture_chunks(path, refs, seq, section.page_number or 1, seen):
                yield chunk
                seq += 1

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        if chunk.kind is ChunkKind.SHEET:
            for sheet in read_ods_sheets(path):
                if sheet.name == chunk.part:
                    return page_content(sheet_blocks(sheet, chunk), self.name)
            raise SourceError(ErrorCategory.PAGE_ERROR, f"sheet {chunk.part!r} is not in the file")
        if chunk.kind is ChunkKind.SLIDE:
            if chunk.page_number is None:
                raise InvalidChunkError("a slide chunk has no slide number")
            pages = _slides(path)
            if chunk.page_number > len(pages):
                raise SourceError(ErrorCategory.PAGE_ERROR, f"slide {chunk.page_number} is missing")
            blocks, _ = _slide_blocks(pages[chunk.page_number - 1], _content_flow(path))
            return page_content(blocks, self.name)
        flow = _text_flow(path)
        return page_content(section_slice(flow.blocks, chunk), self.name)


def _content(path: Path) -> etree._Element:
    return parse_xml(read_member(path, "content.xml"), "content.xml")


def _styles(path: Path) -> etree._Element | None:
    try:
        return parse_xml(read_member(path, "styles.xml"), "styles.xml")
    except SourceError as error:
        if error.category is ErrorCategory.CORRUPT_FILE and "missing" in error.message:
            return None
        raise


def _content_flow(path: Path) -> OdfFlow:
    return OdfFlow(list_styles(_content(path), _styles(path)))


def _text_flow(path: Path) -> OdfFlow:
    content, styles = _content(path), _styles(path)
    flow = OdfFlow(list_styles(content, styles))
    text = content.find(f"{o('office:body')}/{o('office:text')}")
    if text is None:
        raise SourceError(ErrorCategory.CORRUPT_FILE, "content.xml has no office:text body")
    headers, footers = _master_furniture(styles, flow)
    flow.blocks.extend(block(BlockKind.PAGE_HEADER, t) for t in headers)
    flow.walk(text)
    flow.finish_notes()
    flow.blocks.extend(block(BlockKind.PAGE_FOOTER, t) for t in footers)
    return flow


def _master_furniture(styles: etree._Element | None, flow: OdfFlow) -> tuple[list[str], list[str]]:
    headers: list[str] = []
    footers: list[str] = []
    if styles is None:
        return headers, footers
    for page in styles.iter(o("style:master-page")):
        for name, found in (("style:header", headers), ("style:footer", footers)):
            for part in page.findall(o(name)):
                for paragraph in part.iter(o("text:p")):
                    text = flow.inline(paragraph)
                    if text and text not in found:
                        found.append(text)
    flow.pending_frames.clear()
    return headers, footers


def _slides(path: Path) -> list[etree._Element]:
    presentation = _content(path).find(f"{o('office:body')}/{o('office:presentation')}")
    if presentation is None:
        raise SourceError(ErrorCategory.CORRUPT_FILE, "content.xml has no office:presentation")
    return list(presentation.findall(o("draw:page")))


def _slide_chunks(path: Path) -> Iterator[ChunkDescriptor]:
    pages = _slides(path)
    if not pages:
        raise SourceError(ErrorCategory.NO_PAGES, "the presentation has no slides")
    flow = _content_flow(path)
    seen: set[str] = set()
    seq = 0
    for number, page in enumerate(pages, start=1):
        blocks, pictures = _slide_blocks(page, flow)
        titles = [b.text for b in blocks if b.kind is BlockKind.SECTION_HEADER]
        yield ChunkDescriptor(
            seq=seq,
            kind=ChunkKind.SLIDE,
            page_number=number,
            title=titles[0][:500] if titles else None,
        )
        seq += 1
        for chunk in picture_chunks(path, pictures, seq, number, seen):
            yield chunk
            seq += 1


def _slide_blocks(page: etree._Element, template: OdfFlow) -> tuple[list[Block], list[PictureRef]]:
    flow = OdfFlow(template.numbered_levels)
    frames = [child for child in page if child.tag in (o("draw:frame"), o("draw:custom-shape"))]
    frames.sort(key=lambda frame: (_length(frame.get(o("svg:y"))), _length(frame.get(o("svg:x")))))
    titles = [f for f in frames if f.get(o("presentation:class")) == "title"]
    for frame in titles + [f for f in frames if f not in titles]:
        kind = frame.get(o("presentation:class"))
        if kind == "title":
            text = " ".join(
                flow.inline(p) for p in frame.iter(o("text:p")) if flow.inline(p)
            ).strip()
            if text:
                flow.blocks.append(block(BlockKind.SECTION_HEADER, text, level=2))
        elif frame.tag == o("draw:custom-shape"):
            flow.walk(frame)
        else:
            flow._frame(frame)
    notes = page.find(o("presentation:notes"))
    if notes is not None:
        lines = [flow.inline(p) for p in notes.iter(o("text:p"))]
        lines = [line for line in lines if line]
        if lines:
            flow.blocks.append(block(BlockKind.PARAGRAPH, NOTES_MARKER))
            flow.blocks.extend(block(BlockKind.PARAGRAPH, line) for line in lines)
    return flow.blocks, [ref for _, ref in flow.pictures]


def _length(value: str | None) -> float:
    """An ODF length ('2.5cm', '72pt') in points; 0 when absent or unreadable."""
    if not value:
        return 0.0
    for unit, factor in _UNITS_PT.items():
        if value.endswith(unit):
            try:
                return float(value[: -len(unit)]) * factor
            except ValueError:
                return 0.0
    return 0.0


def read_ods_sheets(path: Path) -> list[SheetRows]:
    """Every sheet of an ODS file as displayed rows with its merges."""
    content = _content(path)
    spreadsheet = content.find(f"{o('office:body')}/{o('office:spreadsheet')}")
    if spreadsheet is None:
        raise SourceError(ErrorCategory.CORRUPT_FILE, "content.xml has no office:spreadsheet")
    flow = OdfFlow({})
    sheets: list[SheetRows] = []
    for table in spreadsheet.findall(o("table:table")):
        rows, merges = _sheet_cells(table, flow)
        sheet = used_range(rows, merges)
        sheet.name = table.get(o("table:name")) or f"Sheet{len(sheets) + 1}"
        sheets.append(sheet)
    return sheets


def _sheet_cells(
    table: etree._Element, flow: OdfFlow
) -> tuple[list[list[str]], list[tuple[int, int, int, int]]]:
    rows: list[list[str]] = []
    merges: list[tuple[int, int, int, int]] = []
    pending_empty = 0
    for row in table.iter(o("table:table-row")):
        repeat = min(int(row.get(o("table:number-rows-repeated")) or 1), _MAX_REPEAT)
        cells, spans = _row_cells(row, flow)
        if not any(cells):
            pending_empty += repeat
            continue
        rows.extend([] for _ in range(pending_empty))
        pending_empty = 0
        for _ in range(min(repeat, _MAX_REPEAT - len(rows))):
            index = len(rows)
            merges.extend((index, c, index + rs - 1, c + cs - 1) for c, rs, cs in spans)
            rows.append(list(cells))
        if len(rows) >= _MAX_REPEAT:
            break
    return rows, merges


def _row_cells(row: etree._Element, flow: OdfFlow) -> tuple[list[str], list[tuple[int, int, int]]]:
    cells: list[str] = []
    spans: list[tuple[int, int, int]] = []
    pending_empty = 0
    for cell in row:
        repeat = min(int(cell.get(o("table:number-columns-repeated")) or 1), 16384)
        text = "" if cell.tag == o("table:covered-table-cell") else flow.cell_text(cell)
        if not text:
            pending_empty += repeat
            continue
        cells.extend("" for _ in range(pending_empty))
        pending_empty = 0
        row_span = int(cell.get(o("table:number-rows-spanned")) or 1)
        col_span = int(cell.get(o("table:number-columns-spanned")) or 1)
        for _ in range(repeat):
            if row_span > 1 or col_span > 1:
                spans.append((len(cells), row_span, col_span))
            cells.append(text)
    return cells, spans
