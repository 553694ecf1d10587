"""GitHub-flavoured Markdown of a block list.

Headings get `#` by level, list items `-` or their number (indented by depth), tables become
pipe tables, or HTML tables when a cell spans rows or columns or there is more than one header
row; formulas are `$$` display math. Lines that Markdown would misread (a paragraph starting
with `#`, `-`, `1.`) are escaped, and so is text that looks like an HTML tag or entity.
"""

import re
from collections.abc import Sequence

from schemas.blocks import Block, BlockKind, TableGrid
from schemas.rendering.html import table_html
from schemas.rendering.lists import BULLET_GLYPHS, ordinal

__all__ = ["render_markdown", "table_markdown"]

_DEFAULT_SECTION_LEVEL = 2
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")
_MISREAD_START = re.compile(r"^(\s*)([#>|+*-]|=+\s*$|\d{1,9}[.)](\s|$))")


def render_markdown(blocks: Sequence[Block], include_furniture: bool = False) -> str:
    """The blocks as Markdown; consecutive list items form one tight list."""
    parts: list[str] = []
    previous: Block | None = None
    content_columns: list[int] = []  # per depth: where the open list item's text starts
    for block in blocks:
        if block.furniture and not include_furniture:
            continue
        in_list = previous is not None and _both_list_items(previous, block)
        if not in_list:
            content_columns = []
        if block.kind == BlockKind.LIST_ITEM and block.text.strip():
            rendered = _list_item(block, block.text.strip(), content_columns)
        else:
            rendered = _block_markdown(block)
        if not rendered:
            continue
        if parts and in_list:
            parts[-1] = parts[-1] + "\n" + rendered
        else:
            parts.append(rendered)
        previous = block
    return "\n\n".join(parts)


def _both_list_items(first: Block, second: Block) -> bool:
    return first.kind == BlockKind.LIST_ITEM and second.kind == BlockKind.LIST_ITEM


def _block_markdown(block: Block) -> str:
    kind = block.kind
    if kind == BlockKind.TABLE:
        return table_markdown(block.table) if block.table is not None else ""
    text = block.text.strip()
    if not text:
        return ""
    if kind == BlockKind.TITLE:
        return f"{'#' * (block.level or 1)} {_escape_html_tags(_one_line(text))}"
    if kind == BlockKind.SECTION_HEADER:
        level = block.level or _DEFAULT_SECTION_LEVEL
        return f"{'#' * level} {_escape_html_tags(_one_line(text))}"
    if kind == BlockKind.FORMULA:
        return f"$$\n{text}\n$$"
    return "\n".join(_escape_line(_escape_html_tags(line)) for line in text.splitlines())


def _list_item(block: Block, text: str, content_columns: list[int]) -> str:
    """The item, indented to nest under the open item one level up (CommonMark needs the
    parent's text column: 3 spaces under `1.`, 2 under `-`); `content_columns` is updated."""
    depth = min(block.depth, len(content_columns))
    indent = " " * (content_columns[depth - 1] if depth else 0)
    number = ordinal(block.marker)
    if number is not None:
        bullet = f"{number}."
    elif block.marker and block.marker.strip() not in BULLET_GLYPHS:
        bullet = f"- {block.marker.strip()}"
    else:
        bullet = "-"
    lines = [_escape_html_tags(line.strip()) for line in text.splitlines()]
    column = len(indent) + len(bullet) + 1
    content_columns[depth:] = [column]
    rest = [" " * column + line for line in lines[1:]]
    return "\n".join([f"{indent}{bullet} {lines[0]}", *rest])


def table_markdown(table: TableGrid) -> str:
    """A pipe table; HTML where cells merge or headers take several rows."""
    if table.n_rows == 0 or table.n_cols == 0:
        return ""
    if table.has_spans or table.header_rows > 1:
        return table_html(table)
    rows = [[_cell(text) for text in row] for row in table.rows()]
    header, body = rows[0], rows[1:]
    lines = [_pipe_row(header), _pipe_row(["---"] * table.n_cols)]
    lines.extend(_pipe_row(row) for row in body)
    return "\n".join(lines)


def _pipe_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _cell(text: str | None) -> str:
    lines = [" ".join(line.split()) for line in (text or "").splitlines()]
    escaped = [_escape_html_tags(line.replace("\\", "\\\\")) for line in lines if line]
    return "<br>".join(escaped).replace("|", "\\|")


def _escape_html_tags(text: str) -> str:
    """Text that looks like an HTML tag, comment or entity stays text (`\\<b>`, `\\&amp;`)."""
    return _TAG_LIKE.sub(r"\\\g<0>", text)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _escape_line(line: str) -> str:
    match = _MISREAD_START.match(line)
    if match is None:
        return line
    start = len(match.group(1))
    if line[start].isdigit():
        end = start + len(match.group(2).rstrip())
        return line[: end - 1] + "\\" + line[end - 1 :]
    return line[:start] + "\\" + line[start:]
