"""RTF: striprtf turns the control words into text, one line per paragraph (`\\par`), and each
non-empty line becomes a paragraph block.

Limits, stated: striprtf keeps text only, so headings, lists, bold and pictures are not seen;
table cells come out as text separated by `|` on their row's line; `\\'xx` escapes are read in
the code page the file declares (`\\ansicpgNNNN`, Windows-1252 when it declares none).
Its exceptions become `corrupt_file` here, its one boundary.
"""

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

from striprtf import striprtf

from pipeline.errors import SourceError
from pipeline.formats.content import block, page_content, section_chunks, section_slice
from pipeline.formats.text_files import read_upload
from pipeline.sources.text_decoding import normalise_codec
from schemas.blocks import Block, BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["RtfReader", "rtf_blocks"]

_CODE_PAGE: Final = re.compile(rb"\\ansicpg(\d{3,5})")
_CONTROLS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_rtf_to_text: Callable[..., str] = striprtf.rtf_to_text


class RtfReader:
    """Rich Text Format documents, as text."""

    name = "rtf"
    media_types = frozenset({MediaType.RTF})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        del media_type
        yield from section_chunks(len(rtf_blocks(read_upload(path))))

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        blocks = rtf_blocks(read_upload(path))
        return page_content(section_slice(blocks, chunk), self.name)


def rtf_blocks(data: bytes) -> list[Block]:
    """One paragraph block per non-empty line of the RTF's text."""
    match = _CODE_PAGE.search(data[:4096])
    encoding = (normalise_codec(f"cp{match.group(1).decode()}") if match else None) or "cp1252"
    try:
        text = _rtf_to_text(data.decode("latin-1"), encoding=encoding, errors="replace")
    except (ValueError, LookupError, IndexError, RecursionError) as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the RTF cannot be read: {exc}") from exc
    lines = (_CONTROLS.sub("", line).strip() for line in text.splitlines())
    return [block(BlockKind.PARAGRAPH, line) for line in lines if line]
