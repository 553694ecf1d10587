"""An HTML tree (lxml.html) as typed blocks: structure from the markup, text without markup.

- `h1` to `h6`: the first `h1` is the title (level 1), the others section headers of their level.
- `p`, `div`, `section`, … and loose text: paragraphs (`<br>` keeps a line break).
- `ul`/`ol`/`li`: list items with their depth (nesting) and marker (`-`, or `3.` counting
  from `start` and `value`); a paragraph inside an item joins its text, a nested list goes
  one level deeper, a table or figure inside it follows the item.
- `table`: a grid (`html_tables`) after its `<caption>`; a table too large for a grid gives
  one paragraph per row, cells separated by tabs.
- `pre`: a paragraph keeping its lines (the block model has no code kind); `blockquote`: its
  content as paragraphs.
- `img`: a figure block whose text is the alt text; `figcaption`: a caption.
- `aside`/`section`/`div` marked `role="doc-footnote"`/`"doc-endnote"` or
  `epub:type="footnote"`/`"endnote"`/`"rearnote"`: a footnote (furniture).
- Dropped with their content: `head`, `script`, `style`, `template`, `noscript`, `iframe`,
  `object`, `embed`, `svg`, `math`, `canvas`, form controls; comments and processing
  instructions are gone at parse time. Nothing is fetched: `src`/`href` are never followed.

Blocks carry no geometry (`NO_BOX`); elements nested deeper than `MAX_DEPTH` contribute their
text to the enclosing block.
"""

import re
from collections.abc import Iterator
from typing import Final

from lxml import html

from pipeline.formats.content import block, table_block
from pipeline.formats.html_tables import table_grid, table_rows
from schemas.blocks import MAX_HEADING_LEVEL, Block, BlockKind

__all__ = ["MAX_DEPTH", "blocks_of_tree"]

MAX_DEPTH: Final = 200
_SKIPPED: Final = frozenset(
    {
        "head",
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "canvas",
        "select",
        "textarea",
        "input",
        "button",
        "title",
        "meta",
        "link",
        "base",
        "audio",
        "video",
        "source",
        "track",
        "map",
        "frameset",
        "frame",
    }
)
_CONTAINERS: Final = frozenset(
    {
        "html",
        "body",
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "address",
        "blockquote",
        "figure",
        "center",
        "form",
        "fieldset",
        "legend",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "hgroup",
        "search",
        "caption",
        "tr",
        "td",
        "th",
        "thead",
        "tbody",
        "tfoot",
    }
)
_ITEM_BLOCKS: Final = frozenset({"table", "pre", "img", "figure", "blockquote"})
"""Elements inside a list item that follow the item as blocks of their own."""
_HEADINGS: Final = {f"h{level}": level for level in range(1, MAX_HEADING_LEVEL + 1)}
_OWN_BLOCKS: Final = (
    frozenset({"ul", "ol", "li", "menu", "dir", "figcaption"}) | _ITEM_BLOCKS | set(_HEADINGS)
)
_FOOTNOTE_TYPES: Final = frozenset(
    {"footnote", "endnote", "rearnote", "doc-footnote", "doc-endnote"}
)
_BREAK: Final = "\ue000"
"""Stands for a `<br>` (or a block boundary) until whitespace is collapsed."""
_SPACES: Final = re.compile(r"[^\S\u00a0]+")
_BREAKING: Final = _CONTAINERS | {"li"}
_INVISIBLE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def blocks_of_tree(root: html.HtmlElement) -> list[Block]:
    """The blocks of a parsed document or fragment, in document order."""
    builder = _Builder()
    builder.flow(root, 0)
    builder.flush()
    return builder.blocks


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.pending: list[str] = []
        self.seen_title = False

    def flush(self, kind: BlockKind = BlockKind.PARAGRAPH) -> None:
        text = _clean(_collapse("".join(self.pending)))
        self.pending = []
        if text:
            self.blocks.append(block(kind, text))

    def flow(self, element: html.HtmlElement, depth: int) -> None:
        """Inline text of `element` into the pending paragraph, its block children as blocks."""
        if element.text:
            self.pending.append(element.text)
        for child in element:
            self.dispatch(child, depth + 1)
            if child.tail:
                self.pending.append(child.tail)

    def dispatch(self, element: html.HtmlElement, depth: int) -> None:
        tag = _tag(element)
        if not tag or tag in _SKIPPED:
            return
        if depth > MAX_DEPTH:
            self.pending.append(" " + text_of(element) + " ")
        elif tag == "br":
            self.pending.append(_BREAK)
        elif tag in _HEADINGS:
            self.flush()
            self.heading(element, _HEADINGS[tag])
        elif _is_footnote(element):
            self.flush()
            self.add(BlockKind.FOOTNOTE, text_of(element, keep_breaks=True))
        elif tag in ("ul", "ol", "menu", "dir"):
            self.flush()
            self.list(element, 0, depth)
        elif tag == "li":
            self.flush()
            self.item(element, 0, "-", depth)
        elif tag == "table":
            self.flush()
            self.table(element)
        elif tag in ("pre", "listing", "xmp", "plaintext"):
            self.flush()
            self.add(BlockKind.PARAGRAPH, _preformatted(element))
        elif tag == "img":
            self.flush()
            self.blocks.append(block(BlockKind.FIGURE, _clean(_collapse(element.get("alt") or ""))))
        elif tag == "figcaption":
            self.flush()
            self.add(BlockKind.CAPTION, text_of(element, keep_breaks=True))
        elif tag == "hr":
            self.flush()
        elif tag in _CONTAINERS:
            self.flush()
            self.flow(element, depth)
            self.flush()
        else:
            self.flow(element, depth)

    def add(self, kind: BlockKind, text: str) -> None:
        if text:
            self.blocks.append(block(kind, text))

    def heading(self, element: html.HtmlElement, level: int) -> None:
        text = text_of(element)
        if not text:
            return
        if level == 1 and not self.seen_title:
            self.seen_title = True
            self.blocks.append(block(BlockKind.TITLE, text, level=1))
        else:
            self.blocks.append(block(BlockKind.SECTION_HEADER, text, level=level))

    def list(self, element: html.HtmlElement, list_depth: int, depth: int) -> None:
        ordered = _tag(element) == "ol"
        number = _integer(element.get("start"), 1)
        for child in element:
            tag = _tag(child)
            if tag == "li":
                number = _integer(child.get("value"), number)
                marker = f"{number}." if ordered else "-"
                self.item(child, list_depth, marker, depth + 1)
                number += 1
            elif tag in ("ul", "ol"):
                self.list(child, list_depth + 1, depth + 1)
            else:
                self.dispatch(child, depth + 1)
                self.flush()

    def item(self, element: html.HtmlElement, list_depth: int, marker: str, depth: int) -> None:
        """One list item: its own text, then nested lists and blocks in order."""
        emitted = False
        saved, self.pending = self.pending, []
        if element.text:
            self.pending.append(element.text)
        for child in element:
            tag = _tag(child)
            nested = depth <= MAX_DEPTH
            if tag in ("ul", "ol") and nested:
                emitted = self._emit_item(list_depth, marker, emitted)
                self.list(child, list_depth + 1, depth + 1)
            elif tag in _ITEM_BLOCKS and nested:
                emitted = self._emit_item(list_depth, marker, emitted)
                self.dispatch(child, depth + 1)
                self.flush()
            elif not emitted and tag not in _SKIPPED and not _holds_blocks(child):
                # The item's own text, however it is wrapped (`<a><div>1 Intro</div></a>`).
                pad = " " if tag in _CONTAINERS else ""
                self.pending.append(pad + "".join(_texts(child, False)).replace(_BREAK, " ") + pad)
            else:
                self.dispatch(child, depth + 1)
            if child.tail:
                self.pending.append(child.tail)
        if not emitted:
            self._emit_item(list_depth, marker, emitted)
        else:
            self.flush()
        self.pending = saved

    def _emit_item(self, list_depth: int, marker: str, emitted: bool) -> bool:
        if emitted:
            self.flush()
            return True
        text = _clean(_collapse("".join(self.pending)))
        self.pending = []
        self.blocks.append(block(BlockKind.LIST_ITEM, text, marker=marker, depth=list_depth))
        return True

    def table(self, element: html.HtmlElement) -> None:
        for child in element:
            if _tag(child) == "caption":
                self.add(BlockKind.CAPTION, text_of(child))
        rows = table_rows(element)
        grid = table_grid(rows, lambda cell: text_of(cell, keep_breaks=True))
        if grid is not None:
            self.blocks.append(table_block(grid))
            return
        for cells, _ in rows:
            self.add(BlockKind.PARAGRAPH, "\t".join(text_of(cell) for cell in cells))


def text_of(element: html.HtmlElement, keep_breaks: bool = False) -> str:
    """The element's text without markup or dropped elements, whitespace collapsed; `<br>` and
    block boundaries become line breaks when `keep_breaks`."""
    pieces: list[str] = []
    for piece in _texts(element, keep_breaks):
        pieces.append(piece)
    return _clean(_collapse("".join(pieces), keep_breaks))


def _texts(element: html.HtmlElement, keep_breaks: bool) -> Iterator[str]:
    stack: list[tuple[html.HtmlElement, bool]] = [(element, False)]
    # Iterative walk: (element, tail_only) pairs, so deep trees cost no recursion.
    while stack:
        current, tail_only = stack.pop()
        if tail_only:
            if current.tail:
                yield current.tail
            continue
        tag = _tag(current)
        if current is not element:
            stack.append((current, True))
        if not tag or tag in _SKIPPED:
            continue
        if tag == "br" or (keep_breaks and tag in _BREAKING and current is not element):
            yield _BREAK
        elif tag == "img":
            continue
        if current.text:
            yield current.text
        for child in reversed(current):
            stack.append((child, False))


def _holds_blocks(element: html.HtmlElement) -> bool:
    """True when a list, table, heading or other block of its own lies inside `element`."""
    return any(_tag(inner) in _OWN_BLOCKS for inner in element.iterdescendants())


def _preformatted(element: html.HtmlElement) -> str:
    text = "".join(_texts(element, False)).replace(_BREAK, "\n")
    lines = [_INVISIBLE.sub("", line).replace("\u00a0", " ").rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _is_footnote(element: html.HtmlElement) -> bool:
    if _tag(element) not in ("aside", "section", "div", "p", "li"):
        return False
    kinds = f"{element.get('role') or ''} {element.get('epub:type') or ''}".lower().split()
    return any(kind in _FOOTNOTE_TYPES for kind in kinds)


def _collapse(text: str, keep_breaks: bool = True) -> str:
    """Whitespace runs (source line breaks included) into one space; `<br>` marks into line
    breaks, or spaces when not `keep_breaks`."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split(_BREAK)]
    return ("\n" if keep_breaks else " ").join(line for line in lines if line)


def _clean(text: str) -> str:
    return _INVISIBLE.sub("", text).replace("\u00a0", " ").strip()


def _integer(raw: str | None, default: int) -> int:
    if raw is None:
        return default
    raw = raw.strip()
    sign = -1 if raw.startswith("-") else 1
    digits = raw.lstrip("+-")[:9]
    return sign * int(digits) if digits and all(c in "0123456789" for c in digits) else default


def _tag(element: html.HtmlElement) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()
