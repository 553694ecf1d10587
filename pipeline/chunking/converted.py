"""Chunking an office file as pages: LibreOffice converts it to PDF once, its pages are chunked
like any PDF's (text-layer profile, legibility) and marked `converted_by="libreoffice"`.

The PDF is kept at `target` (the worker passes a file next to the stored blob, so every page
job, in any process sharing the blob root, reads the same PDF); an existing one is reused. It
is written under a temporary name in the target's folder and renamed into place, so a reader
never sees half a PDF and two chunkers converting the same file at once both succeed.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from pipeline.chunking.documents import chunk_pdf
from pipeline.sources.soffice import run_soffice
from schemas.chunks import ChunkDescriptor
from schemas.enums import MediaType

__all__ = ["CONVERTER", "chunk_converted", "convert_to_pdf"]

CONVERTER = "libreoffice"

_SUFFIXES = {
    MediaType.DOCX: "docx",
    MediaType.DOC: "doc",
    MediaType.ODT: "odt",
    MediaType.RTF: "rtf",
    MediaType.PPTX: "pptx",
    MediaType.PPT: "ppt",
    MediaType.ODP: "odp",
    MediaType.XLSX: "xlsx",
    MediaType.XLS: "xls",
    MediaType.ODS: "ods",
}


def chunk_converted(path: Path, media_type: MediaType, target: Path) -> Iterator[ChunkDescriptor]:
    """The pages of the PDF LibreOffice makes of `path`, kept at `target`; the converter's
    errors (`timeout`, `corrupt_file`, `unsupported_media`) are the document's."""
    if not target.is_file():
        convert_to_pdf(path, media_type, target)
    for chunk in chunk_pdf(target):
        yield chunk.model_copy(update={"converted_by": CONVERTER})


def convert_to_pdf(path: Path, media_type: MediaType, target: Path) -> None:
    """Convert `path` to PDF with LibreOffice and place it at `target` atomically."""
    with tempfile.TemporaryDirectory(prefix="greenhouse-soffice-") as work:
        converted = run_soffice(path, _SUFFIXES.get(media_type, "bin"), "pdf", Path(work))
        partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        try:
            shutil.copyfile(converted, partial)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
