"""Expanding a container of a sniffed media type into a target folder: an archive's members
(`pipeline.sources.archives`) or an e-mail's attachments (`pipeline.formats.mail`), written
under the container's limits. A refused or unreadable container leaves the folder empty."""

import io
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.formats.mail import mail_attachments
from pipeline.sources.archives import expand_gzip, expand_tar, expand_zip
from pipeline.sources.expansion import (
    ContainerLimits,
    Expansion,
    MemberWriter,
    clear_target,
    is_junk,
    normalise_member_path,
)
from schemas.enums import ErrorCategory, MediaType
from schemas.media import MAIL_MEDIA

__all__ = ["expand_container", "expand_mail"]


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
        if media_type in MAIL_MEDIA:
            return expand_mail(path, media_type, target, limits)
    except BaseException:
        clear_target(target)
        raise
    raise PipelineError(ErrorCategory.INTERNAL, f"{media_type.value} is not a container")


def expand_mail(
    path: Path, media_type: MediaType, target: Path, limits: ContainerLimits
) -> Expansion:
    """An e-mail's attachments in order (unnamed ones as `attachment-N`), empty ones and
    operating-system leftovers skipped."""
    writer = MemberWriter(target, limits, path.stat().st_size)
    expansion = Expansion()
    for index, attachment in enumerate(mail_attachments(path, media_type), start=1):
        name = normalise_member_path(attachment.filename or "") or f"attachment-{index}"
        if is_junk(name) or not attachment.data:
            continue
        writer.admit()
        expansion.members.append(writer.write(name, io.BytesIO(attachment.data)))
    return expansion
