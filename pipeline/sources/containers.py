"""Expanding a container of a sniffed media type into a target folder; a refused or unreadable
container leaves the folder empty."""

from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.sources.archives import expand_gzip, expand_tar, expand_zip
from pipeline.sources.attachments import expand_eml, expand_msg
from pipeline.sources.expansion import ContainerLimits, Expansion, clear_target
from schemas.enums import ErrorCategory, MediaType

__all__ = ["expand_container"]


def expand_container(
    path: Path, media_type: MediaType, target: Path, limits: ContainerLimits, name_hint: str = ""
) -> Expansion:
    """The members of an archive or e-mail, written under generated names into `target`.

    Raises `ContainerRefusedError` (`too_large`, naming the limit) for a bomb and a
    `SourceError` for a file that cannot be read; either way nothing stays in `target`."""
    try:
        if media_type is MediaType.ZIP:
            return expand_zip(path, target, limits)
        if media_type is MediaType.TAR:
            return expand_tar(path, target, limits)
        if media_type is MediaType.GZIP:
            return expand_gzip(path, target, limits, name_hint)
        if media_type is MediaType.EML:
            return expand_eml(path, target, limits)
        if media_type is MediaType.MSG:
            return expand_msg(path, target, limits)
    except BaseException:
        clear_target(target)
        raise
    raise PipelineError(ErrorCategory.INTERNAL, f"{media_type.value} is not a container")
