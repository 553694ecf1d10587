"""Chunking structured formats (office, text, e-mail): the format's reader cuts the file.

The reader yields sections, slides, sheet row ranges and embedded pictures; their `seq` is
renumbered here so the document's chunks count 0, 1, 2… whatever the reader did.
"""

from collections.abc import Iterator
from pathlib import Path

from schemas.chunks import ChunkDescriptor
from schemas.enums import MediaType
from schemas.media import MAIL_MEDIA, OFFICE_MEDIA, TEXT_MEDIA

__all__ = ["STRUCTURED_MEDIA", "chunk_structured"]

STRUCTURED_MEDIA = OFFICE_MEDIA | TEXT_MEDIA | MAIL_MEDIA
"""Media types read by their own structure; `reader_for` says which are supported."""


def chunk_structured(path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
    """The chunks the media type's reader finds, numbered in order."""
    # the readers' libraries (python-docx, openpyxl, ...) load with a format
    from pipeline.formats.registry import reader_for

    reader = reader_for(media_type)
    for seq, chunk in enumerate(reader.chunks(path, media_type)):
        yield chunk if chunk.seq == seq else chunk.model_copy(update={"seq": seq})
