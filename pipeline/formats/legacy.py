"""Legacy Word and PowerPoint files (DOC, PPT): converted by LibreOffice to DOCX/PPTX, then
read by those readers. LibreOffice is optional: without `soffice` on PATH they end
`unsupported_media`, naming the package to install.

The conversion runs `soffice --headless --convert-to docx|pptx` on a copy of the file in a
private temporary directory, with its own user profile (`-env:UserInstallation`: parallel
conversions do not share, or lock, one profile), no restore or first-start wizard, and a
timeout (`CONVERT_TIMEOUT_SECONDS`, then `timeout`). Every job converts again (the converted
file lives only for the call); pictures in a converted file get figure blocks but no image
jobs, since an image job reads its member from the stored (original) file.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.formats.docx_reader import DocxReader
from pipeline.formats.pptx_reader import PptxReader
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["CONVERT_TIMEOUT_SECONDS", "LegacyOfficeReader", "convert_with_soffice"]

CONVERT_TIMEOUT_SECONDS = 120
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
    """The file converted to DOCX/PPTX in `work`; `unsupported_media` without LibreOffice,
    `timeout` past the deadline, `corrupt_file` when LibreOffice cannot convert it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    source_suffix, target_suffix = _TARGETS[media_type]
    if soffice is None:
        raise SourceError(
            ErrorCategory.UNSUPPORTED_MEDIA,
            f"{media_type.value} (.{source_suffix}) files are converted by LibreOffice, which"
            f" is not installed: install {_PACKAGES[media_type]} (soffice on PATH)",
        )
    source = work / f"input.{source_suffix}"
    shutil.copyfile(path, source)
    output = work / "out"
    output.mkdir()
    command = [
        soffice,
        f"-env:UserInstallation={(work / 'profile').as_uri()}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        "--nofirststartwizard",
        "--convert-to",
        target_suffix,
        "--outdir",
        str(output),
        str(source),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceError(
            ErrorCategory.TIMEOUT,
            f"LibreOffice did not convert the file within {CONVERT_TIMEOUT_SECONDS} s",
        ) from exc
    except OSError as exc:
        raise SourceError(
            ErrorCategory.UNSUPPORTED_MEDIA, f"LibreOffice cannot be started: {exc}"
        ) from exc
    converted = output / f"input.{target_suffix}"
    if done.returncode != 0 or not converted.is_file():
        detail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise SourceError(
            ErrorCategory.CORRUPT_FILE,
            f"LibreOffice could not convert the .{source_suffix} file"
            f" (exit {done.returncode}){': ' + detail if detail else ''}",
        )
    return converted
