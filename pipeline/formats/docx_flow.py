"""A DOCX body as typed blocks, in body order: OOXML walked directly (python-docx opens the
package and resolves relationships; it has no footnotes, text boxes or merged-cell spans).

- paragraphs: heading, list item or paragraph (`docx_styles`); runs, hyperlinks, insertions,
  content controls and fields give their text; deletions do not; `mc:AlternateContent` is read
  once (its first choice); a footnote reference prints `[n]`, n counted in reading order;
- a picture (`a:blip`, VML `v:imagedata`) becomes a `figure` block after its paragraph's text,
  its alt text (`wp:docPr` description, else title) as text, and a `PictureRef`;
- text boxes' paragraphs follow the paragraph that anchors them;
- equations (`omml`): inline ones as `$…$` in the paragraph's text, a display equation
  (`m:oMathPara`) as a `formula` block (LaTeX) after it;
- tables: `docx_tables`.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from lxml import etree

from pipeline.formats.content import block, table_block
from pipeline.formats.docx_styles import (
    BULLET,
    Numbering,
    StyleSheet,
    numbering_of,
    outline_of,
)
from pipeline.formats.docx_tables import table_grid
from pipeline.formats.omml import MATH_NS, omml_latex
from pipeline.formats.ooxml import q
from pipeline.formats.pictures import PictureRef, alt_text
from schemas.blocks import Block, BlockKind

__all__ = ["FlowContext", "Walked", "paragraph_text", "walk_body"]

_SKIPPED = frozenset(
    q(name) for name in ("w:del", "w:moveFrom", "w:pPr", "w:rPr", "w:sectPr", "w:proofErr")
)
_TRANSPARENT = frozenset(
    q(name)
    for name in (
        "w:hyperlink",
        "w:ins",
        "w:moveTo",
        "w:smartTag",
        "w:fldSimple",
        "w:customXml",
        "w:dir",
        "w:bdo",
        "w:sdtContent",
        "w:r",
    )
)
_MATH = f"{{{MATH_NS}}}oMath"
_MATH_PARAGRAPH = f"{{{MATH_NS}}}oMathPara"
_CHARACTERS = {
    q("w:tab"): "\t",
    q("w:br"): "\n",
    q("w:cr"): "\n",
    q("w:noBreakHyphen"): "-",
}


@dataclass
class FlowContext:
    """What a walk of one part needs: styles, numbering, how to name a picture's member,
    and the footnotes met so far (id → number)."""

    styles: StyleSheet
    numbering: Numbering
    member_of: Callable[[str], str | None]
    footnotes: dict[str, int] = field(default_factory=dict)


@dataclass
class Walked:
    """Blocks in order, and the pictures with the index of the block that shows them."""

    blocks: list[Block] = field(default_factory=list)
    pictures: list[tuple[int, PictureRef]] = field(default_factory=list)


@dataclass
class _Paragraph:
    text: list[str] = field(default_factory=list)
    pictures: list[PictureRef] = field(default_factory=list)
    text_boxes: list[etree._Element] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)


def walk_body(container: etree._Element, context: FlowContext, out: Walked) -> None:
    """Append the blocks of a body-like element (body, cell, text box, header) to `out`."""
    for child in _content_children(container):
        if child.tag == q("w:p"):
            _paragraph(child, context, out)
        elif child.tag == q("w:tbl"):
            grid, pictures = table_grid(child, partial(paragraph_text, context=context))
            out.pictures.extend((len(out.blocks), ref) for ref in pictures)
            out.blocks.append(table_block(grid))


def _content_children(container: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables, content controls and custom XML opened."""
    for child in container:
        if child.tag in (q("w:sdt"), q("w:customXml")):
            content = child.find(q("w:sdtContent"))
            yield from _content_children(content if content is not None else child)
        else:
            yield child


def paragraph_text(paragraph: etree._Element, context: FlowContext) -> tuple[str, list[PictureRef]]:
    """The text of a paragraph (text boxes' text appended) and the pictures in it."""
    parts = _Paragraph()
    _inline(paragraph, context, parts)
    texts = ["".join(parts.text).strip()]
    for box in parts.text_boxes:
        for inner in box.iter(q("w:p")):
            inner_text, pictures = paragraph_text(inner, context)
            texts.append(inner_text)
            parts.pictures.extend(pictures)
    return "\n".join(text for text in texts if text), parts.pictures


def _paragraph(paragraph: etree._Element, context: FlowContext, out: Walked) -> None:
    parts = _Paragraph()
    _inline(paragraph, context, parts)
    text = "".join(parts.text).strip()
    if text:
        out.blocks.append(_typed_block(paragraph, text, context))
    out.blocks.extend(block(BlockKind.FORMULA, latex) for latex in parts.formulas if latex)
    for ref in parts.pictures:
        out.pictures.append((len(out.blocks), ref))
        out.blocks.append(block(BlockKind.FIGURE, ref.alt))
    for box in parts.text_boxes:
        walk_body(box, context, out)


def _typed_block(paragraph: etree._Element, text: str, context: FlowContext) -> Block:
    ppr = paragraph.find(q("w:pPr"))
    style_element = ppr.find(q("w:pStyle")) if ppr is not None else None
    style_id = style_element.get(q("w:val")) if style_element is not None else None
    heading = context.styles.heading(style_id, outline_of(ppr))
    numbered = context.styles.numbering(style_id, numbering_of(ppr))
    marker = context.numbering.marker(*numbered) if numbered is not None else None
    if heading is not None:
        is_title, level = heading
        kind = BlockKind.TITLE if is_title else BlockKind.SECTION_HEADER
        if marker and marker != BULLET:
            text = f"{marker} {text}"
        return block(kind, " ".join(text.split()), level=level)
    if numbered is not None:
        return block(BlockKind.LIST_ITEM, text, marker=marker, depth=numbered[1])
    return block(BlockKind.PARAGRAPH, text)


def _inline(element: etree._Element, context: FlowContext, parts: _Paragraph) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag in (q("w:t"), q("w:delText")):
            if tag == q("w:t"):
                parts.text.append(child.text or "")
        elif tag in _CHARACTERS:
            parts.text.append(_CHARACTERS[tag])
        elif tag == q("w:footnoteReference"):
            note = child.get(q("w:id")) or ""
            number = context.footnotes.setdefault(note, len(context.footnotes) + 1)
            parts.text.append(f"[{number}]")
        elif tag in (q("w:drawing"), q("w:pict"), q("w:object")):
            _drawing(child, context, parts)
        elif tag == _MATH_PARAGRAPH:
            parts.formulas.extend(omml_latex(math) for math in child.iter(_MATH))
        elif tag == _MATH:
            parts.text.append(f"${omml_latex(child)}$")
        elif tag == q("mc:AlternateContent"):
            choice = child.find(q("mc:Choice"))
            _inline(choice if choice is not None else child, context, parts)
        elif tag in _TRANSPARENT or tag == q("w:sdt"):
            _inline(child, context, parts)


def _drawing(element: etree._Element, context: FlowContext, parts: _Paragraph) -> None:
    """Pictures and text boxes of a drawing (DrawingML or VML)."""
    alt = _alt_text(element)
    for blip in element.iter(q("a:blip")):
        _picture(blip.get(q("r:embed")), alt, context, parts)
    for image in element.iter(q("v:imagedata")):
        _picture(image.get(q("r:id")), alt or (image.get("title") or ""), context, parts)
    parts.text_boxes.extend(element.iter(q("w:txbxContent")))


def _picture(rel_id: str | None, alt: str, context: FlowContext, parts: _Paragraph) -> None:
    if not rel_id:
        return
    member = context.member_of(rel_id)
    if member is not None:
        parts.pictures.append(PictureRef(member, alt))


def _alt_text(element: etree._Element) -> str:
    for properties in element.iter(q("wp:docPr")):
        text = alt_text(properties.get("descr")) or alt_text(properties.get("title"))
        if text:
            return text
    return ""
