"""Markdown: parsed by markdown-it-py (CommonMark with GitHub tables and strikethrough) and
turned from its tokens into the same blocks as HTML.

Headings (the first level-1 heading is the title), paragraphs, list items with depth and
marker, pipe tables (a grid with one header row), fenced and indented code (a paragraph keeping
its lines), block quotes (their paragraphs), and a paragraph that is only images (a figure per
image, its alt text as text). Raw HTML blocks go through the HTML reader's block builder;
inline HTML tags are dropped, their text kept. Links keep their text. The file is decoded like
any text (`text_decoding`); a document is one section, cut every `SECTION_BLOCKS` blocks.
"""

from collections.abc import Iterator, Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from pipeline.formats.content import block, page_content, section_chunks, section_slice, table_block
from pipeline.formats.grid import GridBuilder
from pipeline.formats.html import html_fragment_blocks
from pipeline.formats.text_files import read_upload
from pipeline.sources.text_decoding import decode_text
from schemas.blocks import Block, BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import MediaType
from schemas.extractions import PageContentData

__all__ = ["MarkdownReader", "markdown_blocks"]


class MarkdownReader:
    """Markdown notes and documents."""

    name = "markdown"
    media_types = frozenset({MediaType.MARKDOWN})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        del media_type
        yield from section_chunks(len(_file_blocks(path)))

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        return page_content(section_slice(_file_blocks(path), chunk), self.name)


def _file_blocks(path: Path) -> list[Block]:
    return markdown_blocks(decode_text(read_upload(path)).text)


def markdown_blocks(text: str) -> list[Block]:
    """The blocks of a Markdown text."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return _Builder().build(parser.parse(text.replace("\x00", "\ufffd")))


class _Builder:
    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.lists: list[list[str | int]] = []  # per open list: [kind, next number]
        self.item_open = False
        self.item_marker = "-"
        self.seen_title = False
        self.rows: list[list[str]] = []
        self.header_rows = 0

    def build(self, tokens: Sequence[Token]) -> list[Block]:
        heading: Token | None = None
        for token in tokens:
            kind = token.type
            if kind == "heading_open":
                heading = token
            elif kind == "inline" and heading is not None:
                self.heading(int(heading.tag[1:]), _inline_text(token))
                heading = None
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.close_item()
                self.lists.append([kind, _start(token)])
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self.close_item()
                self.lists.pop()
            elif kind == "list_item_open":
                self.close_item()
                self.item_open = True
                self.item_marker = self.next_marker()
            elif kind == "list_item_close":
                self.close_item()
            elif kind == "inline" and self.rows:
                self.rows[-1].append(_inline_text(token))
            elif kind == "inline":
                self.paragraph(token)
            elif kind in ("fence", "code_block"):
                self.close_item()
                self.add(BlockKind.PARAGRAPH, token.content.rstrip("\n"))
            elif kind == "html_block":
                self.close_item()
                self.blocks.extend(html_fragment_blocks(token.content))
            elif kind == "table_open":
                self.close_item()
                self.rows, self.header_rows = [], 0
            elif kind == "tr_open":
                self.rows.append([])
            elif kind == "thead_close":
                self.header_rows = len(self.rows)
            elif kind == "table_close":
                self.table()
        return self.blocks

    def heading(self, level: int, text: str) -> None:
        self.close_item()
        if not text:
            return
        if level == 1 and not self.seen_title:
            self.seen_title = True
            self.blocks.append(block(BlockKind.TITLE, text, level=1))
        else:
            self.blocks.append(block(BlockKind.SECTION_HEADER, text, level=level))

    def paragraph(self, token: Token) -> None:
        children = token.children or []
        images = [child for child in children if child.type == "image"]
        others = [
            child
            for child in children
            if child.type not in ("image", "softbreak", "hardbreak")
            and not (child.type == "text" and not child.content.strip())
        ]
        if images and not others and not self.item_open:
            for image in images:
                self.blocks.append(block(BlockKind.FIGURE, _image_alt(image)))
            return
        text = _inline_text(token)
        if self.item_open:
            depth = max(len(self.lists) - 1, 0)
            self.blocks.append(
                block(BlockKind.LIST_ITEM, text, marker=self.item_marker, depth=depth)
            )
            self.item_open = False
        elif self.blocks and self._continues_item():
            last = self.blocks[-1]
            self.blocks[-1] = last.model_copy(update={"text": f"{last.text}\n{text}".strip()})
        else:
            self.add(BlockKind.PARAGRAPH, text)

    def _continues_item(self) -> bool:
        """A later paragraph of the item just written (a loose list item's second paragraph)."""
        last = self.blocks[-1]
        return (
            bool(self.lists)
            and last.kind == BlockKind.LIST_ITEM
            and last.depth == len(self.lists) - 1
        )

    def close_item(self) -> None:
        if self.item_open:
            depth = max(len(self.lists) - 1, 0)
            self.blocks.append(block(BlockKind.LIST_ITEM, "", marker=self.item_marker, depth=depth))
            self.item_open = False

    def next_marker(self) -> str:
        if not self.lists:
            return "-"
        current = self.lists[-1]
        if current[0] != "ordered_list_open":
            return "-"
        number = int(current[1])
        current[1] = number + 1
        return f"{number}."

    def add(self, kind: BlockKind, text: str) -> None:
        if text.strip():
            self.blocks.append(block(kind, text))

    def table(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        builder = GridBuilder()
        for row_index, cells in enumerate(rows):
            for col, text in enumerate(cells):
                builder.place(row_index, col, text)
        self.blocks.append(table_block(builder.build(header_rows=self.header_rows)))


def _start(token: Token) -> int:
    raw = token.attrGet("start")
    return int(raw) if isinstance(raw, (int, str)) and str(raw).isdecimal() else 1


def _inline_text(token: Token) -> str:
    pieces: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            pieces.append(child.content)
        elif child.type == "softbreak":
            pieces.append(" ")
        elif child.type == "hardbreak":
            pieces.append("\n")
        elif child.type == "image":
            pieces.append(_image_alt(child))
    lines = [" ".join(line.split()) for line in "".join(pieces).split("\n")]
    return "\n".join(line for line in lines if line)


def _image_alt(image: Token) -> str:
    alt = "".join(child.content for child in image.children or [] if child.type == "text")
    return " ".join((alt or image.content).split())
