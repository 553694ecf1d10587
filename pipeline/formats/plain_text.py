"""Plain text: decoded with a detected encoding (`text_decoding`), cut into paragraphs at
blank lines (and form feeds), each keeping its line breaks.

The only structure inferred is the one plain text states without doubt: a paragraph of
exactly two lines whose second is a run of three or more `=` or `-` at least half as long as
the first is a heading (level 1 for `=`, 2 for `-`), as in setext and reStructuredText. No
list, table or heading is guessed from indentation, capitals or numbering.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from pipeline.formats.content import block, page_content, section_chunks, section_slice
from pipeline.formats.text_files import read_upload
from pipeline.sources.text_decoding import decode_text
from schemas.blocks import Block, BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import MediaType
from schemas.extractions import PageContentData

__all__ = ["PlainTextReader", "text_blocks"]

_PARAGRAPH_BREAK: Final = re.compile(r"\n[ \t]*\n+|\f")
_UNDERLINE: Final = re.compile(r"^(=|-)\1{2,}$")
_CONTROLS: Final = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


class PlainTextReader:
    """Plain text files."""

    name = "plain-text"
    media_types = frozenset({MediaType.TEXT})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        del media_type
        yield from section_chunks(len(_file_blocks(path)))

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        return page_content(section_slice(_file_blocks(path), chunk), self.name)


def _file_blocks(path: Path) -> list[Block]:
    return text_blocks(decode_text(read_upload(path)).text)


def text_blocks(text: str) -> list[Block]:
    """Paragraphs (and underlined headings) of a decoded text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[Block] = []
    for raw in _PARAGRAPH_BREAK.split(text):
        lines = [_CONTROLS.sub("", line).rstrip() for line in raw.split("\n")]
        lines = [line for line in lines if line.strip()]
        if not lines:
            continue
        heading = _underlined(lines)
        if heading is not None:
            blocks.append(block(BlockKind.SECTION_HEADER, lines[0].strip(), level=heading))
        else:
            blocks.append(block(BlockKind.PARAGRAPH, "\n".join(lines)))
    return blocks


def _underlined(lines: list[str]) -> int | None:
    if len(lines) != 2:
        return None
    title, rule = lines[0].strip(), lines[1].strip()
    if not title or _UNDERLINE.match(rule) is None or len(rule) * 2 < len(title):
        return None
    return 1 if rule[0] == "=" else 2
