"""HTML of a block list: semantic elements, escaped text, tables with row and column spans."""

from collections.abc import Sequence
from html import escape

from schemas.blocks import Block, BlockKind, TableGrid
from schemas.rendering.lists import ordinal

__all__ = ["render_html", "table_html"]

_DEFAULT_SECTION_LEVEL = 2


def render_html(blocks: Sequence[Block], include_furniture: bool = False) -> str:
    """The blocks as an HTML fragment; consecutive list items form one list per depth run."""
    parts: list[str] = []
    run: list[Block] = []
    for block in [*blocks, None]:
        if block is not None and block.furniture and not include_furniture:
            continue
        if block is not None and block.kind == BlockKind.LIST_ITEM:
            run.append(block)
            continue
        if run:
            parts.append(_list_html(run))
            run = []
        if block is not None:
            rendered = _block_html(block)
            if rendered:
                parts.append(rendered)
    return "\n".join(parts)


def _block_html(block: Block) -> str:
    text = escape(block.text.strip())
    kind = block.kind
    if kind == BlockKind.TABLE:
        return table_html(block.table) if block.table is not None else ""
    if not text:
        return ""
    if kind in (BlockKind.TITLE, BlockKind.SECTION_HEADER):
        default = 1 if kind == BlockKind.TITLE else _DEFAULT_SECTION_LEVEL
        level = block.level or default
        return f"<h{level}>{text}</h{level}>"
    if kind == BlockKind.FORMULA:
        return f'<div class="formula">\\[{text}\\]</div>'
    if kind == BlockKind.CAPTION:
        return f'<p class="caption">{_lines(text)}</p>'
    if kind == BlockKind.FIGURE:
        return f"<figure><figcaption>{_lines(text)}</figcaption></figure>"
    if block.furniture:
        return f'<p class="{kind.value}">{_lines(text)}</p>'
    return f"<p>{_lines(text)}</p>"


def _lines(text: str) -> str:
    return "<br>".join(text.splitlines())


def _list_html(items: Sequence[Block]) -> str:
    """Nested lists from the items' depths; `<ol>` for numbered items, `<ul>` for bullets, a
    new list where the kind changes at a level (as Markdown does), `start` when not from 1."""
    out: list[str] = []
    open_tags: list[str] = []
    for item in items:
        number = ordinal(item.marker)
        tag = "ol" if number is not None else "ul"
        depth = min(item.depth, len(open_tags))  # one level deeper at most, as in Markdown
        while len(open_tags) > depth + 1:
            out.append(f"</li></{open_tags.pop()}>")
        if len(open_tags) == depth + 1:
            out.append("</li>")
            if open_tags[-1] != tag:
                out.append(f"</{open_tags.pop()}>")
        while len(open_tags) < depth + 1:
            start = f' start="{number}"' if number is not None and number != 1 else ""
            out.append(f"<{tag}{start}>")
            open_tags.append(tag)
        out.append(f"<li>{_lines(escape(item.text.strip()))}")
    while open_tags:
        out.append(f"</li></{open_tags.pop()}>")
    return "".join(out)


def table_html(table: TableGrid) -> str:
    """A `<table>`: header rows in `<thead>` with `<th>`, spans as rowspan/colspan."""
    by_row: dict[int, list[str]] = {}
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        tag = "th" if cell.header or cell.row < table.header_rows else "td"
        spans = ""
        if cell.row_span > 1:
            spans += f' rowspan="{cell.row_span}"'
        if cell.col_span > 1:
            spans += f' colspan="{cell.col_span}"'
        by_row.setdefault(cell.row, []).append(
            f"<{tag}{spans}>{_lines(escape(cell.text.strip()))}</{tag}>"
        )
    head = [f"<tr>{''.join(by_row.get(r, []))}</tr>" for r in range(table.header_rows)]
    body = [
        f"<tr>{''.join(by_row.get(r, []))}</tr>" for r in range(table.header_rows, table.n_rows)
    ]
    parts = ["<table>"]
    if head:
        parts.append(f"<thead>{''.join(head)}</thead>")
    parts.append(f"<tbody>{''.join(body)}</tbody>")
    parts.append("</table>")
    return "".join(parts)
