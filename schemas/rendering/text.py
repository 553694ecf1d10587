"""Plain text of a block list: body blocks in reading order, blank lines between them."""

from collections.abc import Sequence

from schemas.blocks import Block, BlockKind, TableGrid

__all__ = ["block_text", "render_text", "table_text"]


def render_text(blocks: Sequence[Block], include_furniture: bool = False) -> str:
    """The text of the blocks in order; furniture only when asked for."""
    parts = [block_text(block) for block in blocks if include_furniture or not block.furniture]
    return "\n\n".join(part for part in parts if part)


def block_text(block: Block) -> str:
    """One block as text: a list item with its marker, a table row by row (cells tab-separated)."""
    if block.kind == BlockKind.TABLE and block.table is not None:
        return table_text(block.table)
    if block.kind == BlockKind.LIST_ITEM and block.marker:
        return f"{block.marker} {block.text}"
    return block.text


def table_text(table: TableGrid) -> str:
    """Rows on lines, cells separated by tabs, covered positions empty."""
    return "\n".join(
        "\t".join(" ".join((cell or "").split()) for cell in row) for row in table.rows()
    )
