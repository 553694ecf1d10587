"""The interface every structured-format reader implements.

A reader cuts a file into chunks (sections of a flowing document, slides, row ranges of a
sheet, embedded images to OCR) when the document is chunked, and reads one chunk into typed
blocks when its job runs. Both run in the isolated child that holds the uploaded bytes.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from schemas.chunks import ChunkDescriptor
from schemas.enums import MediaType
from schemas.extractions import PageContentData

__all__ = ["FormatReader"]


class FormatReader(Protocol):
    """Reads one family of formats (e.g. DOCX; HTML and XHTML) by its structure."""

    name: str
    """The engine name stored with the extraction, e.g. 'docx'."""
    media_types: frozenset[MediaType]

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        """The file's chunks, in order; raises a categorised `PipelineError` for a bad file."""
        ...

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        """One structured chunk (section, slide or sheet range) as typed blocks."""
        ...
