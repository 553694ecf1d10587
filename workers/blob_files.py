"""Which stored file a job reads: the blob itself, or the PDF LibreOffice made of it when the
job's chunk is a page of that conversion (kept next to the blob, shared by every process)."""

from pathlib import Path

from schemas.chunks import ChunkDescriptor
from storage.blobs import BlobStore

__all__ = ["CONVERTED_PDF", "converted_pdf_path", "job_file"]

CONVERTED_PDF = "converted.pdf"
"""The suffix of a blob's PDF conversion (`<sha256>.converted.pdf`)."""


def converted_pdf_path(blobs: BlobStore, sha256: str) -> Path:
    """Where the PDF conversion of a stored office file is kept."""
    return blobs.derived_path(sha256, CONVERTED_PDF)


def job_file(blobs: BlobStore, sha256: str, chunk: ChunkDescriptor) -> Path:
    """The file a job of `chunk` reads."""
    if chunk.converted_by is not None:
        return converted_pdf_path(blobs, sha256)
    return blobs.path_for(sha256)
