"""Containers built by the tests: ZIPs (plain, bombs, lying headers, hostile names), tars and
e-mails with attachments, and the small files they hold."""

import io
import struct
import tarfile
import zipfile
from email.message import EmailMessage
from pathlib import Path

from PIL import Image, ImageDraw

from tests.support.documents import make_text_pdf


def pdf_bytes(tmp: Path, pages: int = 1, name: str = "member.pdf") -> bytes:
    """A small native-text PDF."""
    path = tmp / name
    make_text_pdf(path, pages)
    return path.read_bytes()


def docx_bytes(title: str = "Growing guide", body: str = "Sow in spring.") -> bytes:
    """A small DOCX (a ZIP inside, but a document, not a container)."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png_bytes(text: str = "HELLO 42", size: tuple[int, int] = (320, 120)) -> bytes:
    """A small PNG with a line of dark text on white."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 40), text, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP of `members` (name -> bytes) in order."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return out.getvalue()


def zip_with_symlink(link_name: str, target: str) -> bytes:
    """A ZIP whose one member is a Unix symlink to `target`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo(link_name)
        info.external_attr = (0o120777 << 16) | 0
        info.create_system = 3
        archive.writestr(info, target)
    return out.getvalue()


def lying_zip(actual_bytes: int, declared_bytes: int) -> bytes:
    """A ZIP of one deflated member of `actual_bytes` zeros whose headers (local and central)
    declare only `declared_bytes`."""
    data = bytearray(zip_bytes({"big.txt": b"\x00" * actual_bytes}))
    real = struct.pack("<I", actual_bytes)
    fake = struct.pack("<I", declared_bytes)
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    assert data[local + 22 : local + 26] == real and data[central + 24 : central + 28] == real
    data[local + 22 : local + 26] = fake
    data[central + 24 : central + 28] = fake
    return bytes(data)


def tar_bytes(members: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A tar of `members`, plus symlinks (name -> target)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return out.getvalue()


def eml_bytes(
    attachments: list[tuple[str, str, bytes]], body: str = "Please find the files attached."
) -> bytes:
    """An e-mail (stdlib `email`) with a text body and attachments (file name, MIME type, data)."""
    message = EmailMessage()
    message["From"] = "alice@example.org"
    message["To"] = "bob@example.org"
    message["Subject"] = "Files"
    message.set_content(body)
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
