"""OpenDocument text content (`content.xml` of ODT, the text boxes of ODP) as typed blocks.

- `text:h` is a section header one level below its `text:outline-level` (as in DOCX, the
  title is level 1 and outline level 1 nests under it); a `text:p` styled `Title` is the
  title; other paragraphs are paragraphs;
- `text:list` items are list items, one level deeper per nested list; the marker is `•`, or
  a running number when the list's style numbers that level (`text:list-level-style-number`);
- `table:table` is a grid (`odf_tables`);
- `draw:frame` with a `draw:image` is a figure (its `svg:title`/`svg:desc` as text) and a
  `PictureRef`; a frame's text box is walked in place;
- `text:note` (footnotes and endnotes) prints its citation in the text and becomes a
  `footnote` block at the end; `text:s`, `text:tab`, `text:line-break` give their spaces.
"""

import re
from dataclasses import dataclass, field

from lxml import etree

from pipeline.formats.content import block, table_block
from pipeline.formats.grid import GridBuilder
from pipeline.formats.pictures import PictureRef, alt_text
from schemas.blocks import Block, BlockKind, TableGrid

__all__ = ["ODF_NS", "OdfFlow", "list_styles", "o"]

ODF_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
    "presentation": "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
}
_MAX_SPACES = 1000
_WHITE_SPACE = re.compile(r"[ \t\r\n]+")
_MAX_SPAN = 1000


def o(name: str) -> str:
    """Clark notation of a prefixed ODF name: `o("text:p")`."""
    prefix, local = name.split(":")
    return f"{{{ODF_NS[prefix]}}}{local}"


def list_styles(*roots: etree._Element | None) -> dict[str, dict[int, bool]]:
    """For each list style: which levels (1-based) are numbered."""
    styles: dict[str, dict[int, bool]] = {}
    for root in roots:
        if root is None:
            continue
        for style in root.iter(o("text:list-style")):
            levels: dict[int, bool] = {}
            for level in style:
                number = _int(level.get(o("text:level")), 1)
                levels[number] = level.tag == o("text:list-level-style-number")
            styles[style.get(o("style:name")) or ""] = levels
    return styles


@dataclass
class OdfFlow:
    """Walks ODF text into blocks; collects pictures and notes as it goes."""

    numbered_levels: dict[str, dict[int, bool]]
    blocks: list[Block] = field(default_factory=list)
    pictures: list[tuple[int, PictureRef]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pending_frames: list[etree._Element] = field(default_factory=list)

    def walk(self, container: etree._Element) -> None:
        """Append the blocks of a body-like element (office:text, a cell, a text box)."""
        for child in container:
            tag = child.tag
            if tag == o("text:h"):
                self._heading(child)
            elif tag == o("text:p"):
                self._paragraph(child)
            elif tag == o("text:list"):
                self._list(child, 0, child.get(o("text:style-name")) or "")
            elif tag == o("table:table"):
                self.blocks.append(table_block(self.table(child)))
            elif tag in (o("text:section"), o("text:index-body"), o("draw:text-box")):
                self.walk(child)
            elif tag == o("draw:frame"):
                self._frame(child)

    def finish_notes(self) -> None:
        """The notes met so far as footnote blocks."""
        for number, text in enumerate(self.notes, start=1):
            self.blocks.append(block(BlockKind.FOOTNOTE, f"[{number}] {text}".strip()))

    def table(self, table: etree._Element) -> TableGrid:
        """A `table:table` as a grid: spans from `number-*-spanned`; every position has its
        element (covered cells under a span), so an element's column is its position."""
        builder = GridBuilder()
        for row_index, row in enumerate(_rows(table)):
            col = 0
            for cell in row:
                repeat = min(_int(cell.get(o("table:number-columns-repeated")), 1), _MAX_SPAN)
                if cell.tag == o("table:covered-table-cell"):
                    col += repeat
                    continue
                text = self.cell_text(cell)
                cols = min(_int(cell.get(o("table:number-columns-spanned")), 1), _MAX_SPAN)
                rows = min(_int(cell.get(o("table:number-rows-spanned")), 1), _MAX_SPAN)
                if not text and rows == cols == 1:
                    col += repeat  # empty cells are filled in by the grid
                    continue
                for _ in range(repeat):
                    builder.place(row_index, col, text, rows, cols)
                    col += 1  # every grid position has its element, covered ones too
            builder.n_rows = max(builder.n_rows, row_index + 1)
        return builder.build(1)

    def cell_text(self, cell: etree._Element) -> str:
        """A cell's paragraphs joined by newlines (nested tables flattened)."""
        lines = []
        for child in cell:
            if child.tag in (o("text:p"), o("text:h")):
                text = self.inline(child)
                if text:
                    lines.append(text)
            elif child.tag == o("text:list"):
                lines.extend(self.inline(p) for p in child.iter(o("text:p")))
            elif child.tag == o("table:table"):
                grid = self.table(child)
                lines.extend(" | ".join(t for t in row if t) for row in grid.rows() if any(row))
        return "\n".join(line for line in lines if line)

    def inline(self, element: etree._Element) -> str:
        """The text of a paragraph-like element, white space collapsed as ODF prescribes
        (`text:s`, tabs and line breaks kept); its frames wait in `pending_frames`."""
        parts: list[str] = []
        self._inline(element, parts)
        return "".join(parts).strip()

    def _inline(self, element: etree._Element, parts: list[str]) -> None:
        if element.text:
            parts.append(_collapse(element.text))
        for child in element:
            tag = child.tag
            if tag == o("text:s"):
                parts.append(" " * min(_int(child.get(o("text:c")), 1), _MAX_SPACES))
            elif tag == o("text:tab"):
                parts.append("\t")
            elif tag == o("text:line-break"):
                parts.append("\n")
            elif tag == o("text:note"):
                self._note(child, parts)
            elif tag == o("draw:frame"):
                self.pending_frames.append(child)
            elif tag in (o("text:span"), o("text:a"), o("text:meta"), o("text:ruby-base")):
                self._inline(child, parts)
            elif (
                isinstance(tag, str)
                and tag.startswith(f"{{{ODF_NS['text']}}}")
                and (
                    tag
                    not in (o("text:bookmark"), o("text:bookmark-start"), o("text:bookmark-end"))
                )
            ):
                self._inline(child, parts)  # fields (page number, date…) show their text
            if child.tail:
                parts.append(_collapse(child.tail))

    def _note(self, note: etree._Element, parts: list[str]) -> None:
        body = note.find(o("text:note-body"))
        texts = [self.inline(p) for p in body.iter(o("text:p"))] if body is not None else []
        self.notes.append(" ".join(t for t in texts if t))
        parts.append(f"[{len(self.notes)}]")

    def _heading(self, element: etree._Element) -> None:
        text = " ".join(self.inline(element).split())
        if text:
            level = max(2, min(_int(element.get(o("text:outline-level")), 1) + 1, 6))
            self.blocks.append(block(BlockKind.SECTION_HEADER, text, level=level))
        self._flush_frames()

    def _paragraph(self, element: etree._Element) -> None:
        text = self.inline(element)
        if text:
            style = (element.get(o("text:style-name")) or "").lower()
            kind = BlockKind.TITLE if style == "title" else BlockKind.PARAGRAPH
            self.blocks.append(block(kind, text, level=1 if kind is BlockKind.TITLE else None))
        self._flush_frames()

    def _flush_frames(self) -> None:
        frames, self.pending_frames = self.pending_frames, []
        for frame in frames:
            self._frame(frame)

    def _list(self, element: etree._Element, depth: int, style: str) -> None:
        style = element.get(o("text:style-name")) or style
        numbered = self.numbered_levels.get(style, {}).get(depth + 1, False)
        number = _int(element.get(o("text:start-value")), 1) - 1
        for item in element:
            if item.tag not in (o("text:list-item"), o("text:list-header")):
                continue
            number += 1
            marker = f"{number}." if numbered else "\u2022"
            for child in item:
                if child.tag == o("text:list"):
                    self._list(child, depth + 1, style)
                elif child.tag in (o("text:p"), o("text:h")):
                    text = self.inline(child)
                    if text:
                        self.blocks.append(
                            block(BlockKind.LIST_ITEM, text, marker=marker, depth=depth)
                        )
                    self._flush_frames()

    def _frame(self, frame: etree._Element) -> None:
        alt = _frame_alt(frame)
        for image in frame.iter(o("draw:image")):
            href = image.get(o("xlink:href")) or ""
            if href and "://" not in href and not href.startswith("/"):
                member = href.removeprefix("./")
                self.pictures.append((len(self.blocks), PictureRef(member, alt)))
                self.blocks.append(block(BlockKind.FIGURE, alt))
                break
        for box in frame.iter(o("draw:text-box")):
            self.walk(box)
        for table in frame.findall(o("table:table")):
            self.blocks.append(table_block(self.table(table)))


def _frame_alt(frame: etree._Element) -> str:
    for name in ("svg:title", "svg:desc"):
        element = frame.find(o(name))
        if element is not None and alt_text(element.text):
            return alt_text(element.text)
    return ""


def _rows(table: etree._Element) -> list[list[etree._Element]]:
    rows: list[list[etree._Element]] = []
    for child in table:
        if child.tag == o("table:table-row"):
            rows.append(list(child))
        elif child.tag in (o("table:table-header-rows"), o("table:table-rows")):
            rows.extend(list(row) for row in child if row.tag == o("table:table-row"))
    return rows


def _collapse(text: str) -> str:
    return _WHITE_SPACE.sub(" ", text)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
