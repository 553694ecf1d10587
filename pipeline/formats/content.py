"""What every structured reader shares: blocks without geometry, the page size they claim,
and slicing a flowing document's blocks into section chunks.

Flowing formats (DOCX, ODT, CSV) have no page geometry: their blocks carry the empty box
`NO_BOX` and their page is a nominal A4 in points (or the document's own page size when it
states one). Slides keep their shapes' boxes in points.
"""

from collections.abc import Iterator, Sequence

from schemas.blocks import BBox, Block, BlockKind, TableGrid
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind
from schemas.extractions import PageContentData, PageSize

__all__ = [
    "A4",
    "NO_BOX",
    "SECTION_BLOCKS",
    "block",
    "page_content",
    "section_chunks",
    "section_slice",
    "table_block",
]

NO_BOX: BBox = (0.0, 0.0, 0.0, 0.0)
A4 = PageSize(width=595.28, height=841.89)
SECTION_BLOCKS = 2000
"""A flowing document with more blocks than this is cut into sections of this many blocks
(`row_start`/`row_end` hold the block range): a 2,000-block section is ~100 pages of prose."""


def block(
    kind: BlockKind,
    text: str = "",
    *,
    level: int | None = None,
    marker: str | None = None,
    depth: int = 0,
    bbox: BBox = NO_BOX,
) -> Block:
    """A block whose index is set when the page is assembled (`PageContentData.from_blocks`)."""
    return Block(index=0, kind=kind, text=text, bbox=bbox, level=level, marker=marker, depth=depth)


def table_block(grid: TableGrid, bbox: BBox = NO_BOX) -> Block:
    """A table block over `grid`."""
    return Block(index=0, kind=BlockKind.TABLE, bbox=bbox, table=grid)


def page_content(blocks: Sequence[Block], engine: str, page: PageSize = A4) -> PageContentData:
    """The chunk's data: blocks in order, text and Markdown derived."""
    return PageContentData.from_blocks(blocks, page, engine)


def section_chunks(block_count: int, first_seq: int = 0) -> Iterator[ChunkDescriptor]:
    """One section chunk for the whole flow, or one per `SECTION_BLOCKS` blocks."""
    if block_count <= SECTION_BLOCKS:
        yield ChunkDescriptor(seq=first_seq, kind=ChunkKind.SECTION, page_number=1)
        return
    for number, start in enumerate(range(0, block_count, SECTION_BLOCKS), start=1):
        yield ChunkDescriptor(
            seq=first_seq + number - 1,
            kind=ChunkKind.SECTION,
            page_number=number,
            row_start=start,
            row_end=min(start + SECTION_BLOCKS, block_count),
        )


def section_slice(blocks: Sequence[Block], chunk: ChunkDescriptor) -> list[Block]:
    """The blocks of one section chunk (all of them when it has no range)."""
    if chunk.row_start is None:
        return list(blocks)
    return list(blocks[chunk.row_start : chunk.row_end])
