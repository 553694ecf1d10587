"""Legacy Word and PowerPoint files (DOC, PPT): converted by LibreOffice to DOCX/PPTX, then
read by those readers. LibreOffice is optional: without `soffice` on PATH they end
`unsupported_media`, naming the package to install.

The conversion is `pipeline.sources.soffice.run_soffice` (`--convert-to docx|pptx`, headless,
a private profile in a temporary directory, a timeout). Every job converts again (the converted
file lives only for the call); pictures in a converted file get figure blocks but no image
jobs, since an image job reads its member from the stored (original) file.
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.formats.docx_reader import DocxReader
from pipeline.formats.pptx_reader import PptxReader
from pipeline.sources.soffice import CONVERT_TIMEOUT_SECONDS, run_soffice, soffice_installed
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["CONVERT_TIMEOUT_SECONDS", "LegacyOfficeReader", "convert_with_soffice"]

_TARGETS = {MediaType.DOC: ("doc", "docx"), MediaType.PPT: ("ppt", "pptx")}
_PACKAGES = {MediaType.DOC: "libreoffice-writer", MediaType.PPT: "libreoffice-impress"}


class LegacyOfficeReader:
    """DOC and PPT through LibreOffice, then the DOCX or PPTX reader."""

    name = "soffice"
    media_types = frozenset(_TARGETS)

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        with tempfile.TemporaryDirectory(prefix="greenhouse-soffice-") as work:
            converted = convert_with_soffice(path, media_type, Path(work))
            inner = _inner(media_type)
            chunks = [c for c in inner.chunks(converted, _converted_type(media_type))]
        for seq, chunk in enumerate(c for c in chunks if c.kind is not ChunkKind.IMAGE):
            yield chunk.model_copy(update={"seq": seq})

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        media_type = MediaType.PPT if chunk.kind is ChunkKind.SLIDE else MediaType.DOC
        with tempfile.TemporaryDirectory(prefix="greenhouse-soffice-") as work:
            converted = convert_with_soffice(path, media_type, Path(work))
            data = _inner(media_type).read(converted, chunk)
        return data.model_copy(update={"engine": f"soffice+{data.engine}"})


def _inner(media_type: MediaType) -> DocxReader | PptxReader:
    return PptxReader() if media_type is MediaType.PPT else DocxReader()


def _converted_type(media_type: MediaType) -> MediaType:
    return MediaType.PPTX if media_type is MediaType.PPT else MediaType.DOCX


def convert_with_soffice(path: Path, media_type: MediaType, work: Path) -> Path:
    """The file converted to DOCX/PPTX in `work`; `unsupported_media` without LibreOffice
    (naming the package to install), else `run_soffice`'s errors."""
    source_suffix, target_suffix = _TARGETS[media_type]
    if not soffice_installed():
        raise SourceError(
            ErrorCategory.UNSUPPORTED_MEDIA,
            f"{media_type.value} (.{source_suffix}) files are converted by LibreOffice, which"
            f" is not installed: install {_PACKAGES[media_type]} (soffice on PATH)",
        )
    return run_soffice(path, source_suffix, target_suffix, work)
