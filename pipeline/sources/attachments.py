"""E-mail attachments written out under the container's limits: the stdlib `email` package for
EML, and extract-msg's boundary for Outlook MSG.

An attachment is a leaf part with an `attachment` disposition or a file name, or an attached
message (`message/rfc822`, kept whole: it becomes a nested e-mail). Bodies are not attachments.
"""

import email
import email.policy
import io
from collections.abc import Iterator
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

from pipeline.errors import SourceError
from pipeline.sources.expansion import (
    ContainerLimits,
    ContainerRefusedError,
    Expansion,
    ExtractedMember,
    MemberWriter,
    RefusedMember,
    is_junk,
    normalise_member_path,
)
from schemas.enums import ErrorCategory

__all__ = ["eml_attachments", "expand_eml", "expand_msg"]


def eml_attachments(message: Message) -> Iterator[tuple[str | None, bytes]]:
    """(file name, bytes) of each attachment of a parsed e-mail, in order."""
    for part in _parts(message):
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                yield part.get_filename(), inner.as_bytes(policy=email.policy.default)
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            yield part.get_filename(), data


def _parts(message: Message) -> Iterator[Message]:
    """Leaf parts that are attachments, depth first (attached messages not entered)."""
    if message.get_content_type() == "message/rfc822" and message.get_filename() is not None:
        yield message
        return
    if message.is_multipart():
        for sub in message.get_payload():
            if isinstance(sub, Message):
                if sub.get_content_type() == "message/rfc822":
                    yield sub
                else:
                    yield from _parts(sub)
        return
    if message.get_content_disposition() == "attachment" or message.get_filename():
        yield message


def expand_eml(path: Path, target: Path, limits: ContainerLimits) -> Expansion:
    """An EML file's attachments."""
    with path.open("rb") as handle:
        try:
            message = email.message_from_binary_file(handle, policy=email.policy.default)
        except (ValueError, LookupError, UnicodeError) as exc:
            raise SourceError(
                ErrorCategory.CORRUPT_FILE, f"the e-mail cannot be parsed: {exc}"
            ) from exc
    writer = MemberWriter(target, limits, path.stat().st_size)
    try:
        found = list(eml_attachments(message))
    except (ValueError, LookupError, UnicodeError, AssertionError) as exc:
        raise SourceError(
            ErrorCategory.CORRUPT_FILE, f"the e-mail's parts cannot be decoded: {exc}"
        ) from exc
    return _write_all(found, writer)


def _write_all(found: list[tuple[str | None, bytes]], writer: MemberWriter) -> Expansion:
    expansion = Expansion()
    for index, (filename, data) in enumerate(found, start=1):
        name = normalise_member_path(filename or "") or f"attachment-{index}"
        if is_junk(name) or not data:
            continue
        writer.admit()
        expansion.members.append(writer.write(name, io.BytesIO(data)))
    return expansion


def expand_msg(path: Path, target: Path, limits: ContainerLimits) -> Expansion:
    """An Outlook MSG file's attachments (an attached message is written as MSG bytes)."""
    import extract_msg  # only MSG files pay for the import

    writer = MemberWriter(target, limits, path.stat().st_size)
    try:
        message: Any = extract_msg.openMsg(str(path), strict=False, delayAttachments=False)
    except Exception as exc:  # extract-msg's boundary: anything it raises is a bad file
        raise SourceError(
            ErrorCategory.CORRUPT_FILE, f"the Outlook message cannot be read: {exc}"
        ) from exc
    expansion = Expansion()
    try:
        for index, attachment in enumerate(message.attachments, start=1):
            filename = attachment.longFilename or attachment.shortFilename
            name = normalise_member_path(filename or "") or f"attachment-{index}"
            try:
                data = _msg_attachment_bytes(attachment)
            except ContainerRefusedError:
                raise
            except Exception as exc:  # extract-msg's boundary, one attachment at a time
                expansion.members.append(
                    RefusedMember(
                        name, ErrorCategory.CORRUPT_FILE, f"the attachment cannot be read: {exc}"
                    )
                )
                continue
            if data is None:
                expansion.members.append(
                    RefusedMember(
                        name,
                        ErrorCategory.UNSUPPORTED_MEDIA,
                        "an attachment of a kind that holds no file (a link or an OLE object)",
                    )
                )
                continue
            if is_junk(name) or not data:
                continue
            writer.admit()
            member: ExtractedMember = writer.write(name, io.BytesIO(data))
            expansion.members.append(member)
    finally:
        message.close()
    return expansion


def _msg_attachment_bytes(attachment: Any) -> bytes | None:
    data = attachment.data
    if isinstance(data, bytes):
        return data
    export = getattr(data, "exportBytes", None)
    if callable(export):
        exported = export()
        return exported if isinstance(exported, bytes) else None
    return None


def parse_eml_bytes(data: bytes) -> EmailMessage:
    """An e-mail parsed from bytes with the modern policy (tests and tools)."""
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
