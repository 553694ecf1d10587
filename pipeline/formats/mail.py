"""E-mails (EML through the standard library's `email` with `policy.default`; Outlook MSG
through extract-msg): the headers From, To, Cc, Date and Subject as the page's `fields` and as
its first blocks (the subject as the title, then one `Name: value` paragraph per header), then
the body: the HTML alternative through the HTML reader when there is one, else the plain text
through the plain-text reader.

Attachments are not read here: `mail_attachments` lists them (file name, content type, bytes,
size) for the code that makes them child documents. Each library's exceptions become
`corrupt_file` in `_email_errors` and `_msg_errors`, this module's two boundaries.
"""

import email
import email.errors
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage, Message
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Final

from pipeline.errors import SourceError
from pipeline.formats.content import A4, block, section_chunks, section_slice
from pipeline.formats.html import html_blocks
from pipeline.formats.plain_text import text_blocks
from pipeline.formats.text_files import read_upload
from pipeline.sources.sniff import sniff_file
from pipeline.sources.text_decoding import decode_text
from schemas.blocks import Block, BlockKind
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["MailAttachment", "MailReader", "mail_attachments", "read_mail"]

HEADERS: Final = ("From", "To", "Cc", "Date", "Subject")
"""The headers a mail's page states as fields, in this order."""
_EMAIL_ERRORS: Final = (
    email.errors.MessageError,
    ValueError,
    LookupError,
    UnicodeError,
    AssertionError,
    IndexError,
    AttributeError,
    TypeError,
)
"""What the `email` package raises on malformed messages (its header parser included)."""


@dataclass(frozen=True)
class MailAttachment:
    """One attached file of an e-mail."""

    filename: str | None
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Mail:
    """A parsed e-mail: its header fields and body blocks."""

    fields: dict[str, str]
    body: list[Block]

    def blocks(self) -> list[Block]:
        """The header blocks (subject as title, then `Name: value` paragraphs) and the body."""
        head: list[Block] = []
        subject = self.fields.get("Subject")
        if subject:
            head.append(block(BlockKind.TITLE, subject, level=1))
        for name in HEADERS:
            value = self.fields.get(name)
            if value and name != "Subject":
                head.append(block(BlockKind.PARAGRAPH, f"{name}: {value}"))
        return head + self.body


class MailReader:
    """EML and MSG e-mails."""

    name = "mail"
    media_types = frozenset({MediaType.EML, MediaType.MSG})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        mail = read_mail(path, media_type)
        for chunk in section_chunks(len(mail.blocks())):
            yield chunk.model_copy(update={"part": "body"})

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        mail = read_mail(path, sniff_file(path))
        blocks = section_slice(mail.blocks(), chunk)
        return PageContentData.from_blocks(blocks, A4, self.name, fields=mail.fields)


def read_mail(path: Path, media_type: MediaType) -> Mail:
    """The e-mail's fields and body blocks."""
    if media_type is MediaType.MSG:
        return _read_msg(path)
    return _read_eml(read_upload(path))


def mail_attachments(path: Path, media_type: MediaType) -> list[MailAttachment]:
    """The e-mail's attached files, in order (an attached message as its bytes)."""
    if media_type is MediaType.MSG:
        return _msg_attachments(path)
    with _email_errors():
        message = _parse(read_upload(path))
        found = []
        for part in message.iter_attachments():
            data = part.get_payload(decode=True)
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                    data = inner[0].as_bytes(policy=email.policy.default)
            if isinstance(data, bytes):
                found.append(MailAttachment(part.get_filename(), part.get_content_type(), data))
        return found


@contextmanager
def _email_errors() -> Iterator[None]:
    try:
        yield
    except _EMAIL_ERRORS as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the e-mail cannot be read: {exc}") from exc


def _parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage):
        raise SourceError(ErrorCategory.CORRUPT_FILE, "the e-mail cannot be parsed")
    return message


def _read_eml(data: bytes) -> Mail:
    with _email_errors():
        message = _parse(data)
        fields = {name: _one_line(str(message[name])) for name in HEADERS if message[name]}
        body = message.get_body(preferencelist=("html", "plain"))
        payload = body.get_payload(decode=True) if body is not None else None
        charset = body.get_content_charset() if body is not None else None
        is_html = body is not None and body.get_content_subtype() == "html"
    if not isinstance(payload, bytes) or body is None:
        return Mail(fields, [])
    if is_html:
        return Mail(fields, html_blocks(payload, declared=charset))
    return Mail(fields, text_blocks(decode_text(payload, declared=charset).text))


@contextmanager
def _msg_errors() -> Iterator[None]:
    try:
        yield
    except SourceError:
        raise
    except Exception as exc:  # extract-msg's boundary: it raises many unrelated types
        raise SourceError(
            ErrorCategory.CORRUPT_FILE, f"the Outlook message cannot be read: {exc}"
        ) from exc


def _open_msg(path: Path) -> Any:
    import extract_msg  # only MSG files pay for the import

    return extract_msg.openMsg(str(path), strict=False, delayAttachments=True)


def _read_msg(path: Path) -> Mail:
    with _msg_errors():
        message = _open_msg(path)
        try:
            values = {
                "From": message.sender,
                "To": message.to,
                "Cc": message.cc,
                "Date": _msg_date(message),
                "Subject": message.subject,
            }
            html_body = message.htmlBody
            text_body = message.body
        finally:
            message.close()
    fields = {name: _one_line(str(value)) for name, value in values.items() if value}
    if isinstance(html_body, bytes) and html_body.strip():
        return Mail(fields, html_blocks(html_body))
    if isinstance(text_body, str) and text_body.strip():
        return Mail(fields, text_blocks(text_body))
    return Mail(fields, [])


def _msg_date(message: Any) -> str | None:
    """The submit time as an RFC 5322 date, else the transport headers' Date."""
    sent = message.date
    if isinstance(sent, datetime):
        return format_datetime(sent)
    if sent:
        return str(sent)
    header = message.header
    return header.get("Date") if header is not None else None


def _msg_attachments(path: Path) -> list[MailAttachment]:
    found: list[MailAttachment] = []
    with _msg_errors():
        message = _open_msg(path)
        try:
            for attachment in message.attachments:
                data = attachment.data
                if not isinstance(data, bytes):
                    continue
                name = attachment.longFilename or attachment.shortFilename
                content_type = attachment.mimetype or "application/octet-stream"
                found.append(MailAttachment(name, str(content_type), data))
        finally:
            message.close()
    return found


def _one_line(value: str) -> str:
    return " ".join(value.split())
