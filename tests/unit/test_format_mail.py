"""The e-mail and EPUB readers: headers as fields and first blocks, the HTML body, attachments
listed; EPUB spine order."""

import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.formats.epub import EpubReader
from pipeline.formats.mail import MailReader, mail_attachments
from pipeline.sources.sniff import sniff_file
from schemas.blocks import BlockKind
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from tests.support.compound_files import build_msg


def _message() -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Example <ann@example.org>"
    message["To"] = "Bob <bob@example.org>, Cy <cy@example.org>"
    message["Cc"] = "Dee <dee@example.org>"
    message["Date"] = "Mon, 30 Nov 2026 10:00:00 +0000"
    message["Subject"] = "Quarterly figures"
    message["Message-ID"] = "<1@example.org>"
    message.set_content("Plain fallback body.\n")
    message.add_alternative(
        "<html><body><h2>Summary</h2><p>Sales rose <b>4 %</b>.</p>"
        "<script>track()</script><ul><li>North</li><li>South</li></ul></body></html>",
        subtype="html",
    )
    message.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="figures.csv")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="report.pdf"
    )
    return message.as_bytes()


def test_eml_headers_body_and_attachments(tmp_path: Path) -> None:
    path = tmp_path / "mail"
    path.write_bytes(_message())
    assert sniff_file(path) is MediaType.EML
    reader = MailReader()
    [chunk] = reader.chunks(path, MediaType.EML)
    assert (chunk.kind, chunk.page_number, chunk.part) == (ChunkKind.SECTION, 1, "body")
    data = reader.read(path, chunk)
    assert data.fields == {
        "From": "Ann Example <ann@example.org>",
        "To": "Bob <bob@example.org>, Cy <cy@example.org>",
        "Cc": "Dee <dee@example.org>",
        "Date": "Mon, 30 Nov 2026 10:00:00 +0000",
        "Subject": "Quarterly figures",
    }
    assert [(b.kind, b.text) for b in data.blocks] == [
        (BlockKind.TITLE, "Quarterly figures"),
        (BlockKind.PARAGRAPH, "From: Ann Example <ann@example.org>"),
        (BlockKind.PARAGRAPH, "To: Bob <bob@example.org>, Cy <cy@example.org>"),
        (BlockKind.PARAGRAPH, "Cc: Dee <dee@example.org>"),
        (BlockKind.PARAGRAPH, "Date: Mon, 30 Nov 2026 10:00:00 +0000"),
        (BlockKind.SECTION_HEADER, "Summary"),
        (BlockKind.PARAGRAPH, "Sales rose 4 %."),
        (BlockKind.LIST_ITEM, "North"),
        (BlockKind.LIST_ITEM, "South"),
    ]
    assert data.markdown == (
        "# Quarterly figures\n\nFrom: Ann Example \\<ann@example.org>\n\n"
        "To: Bob \\<bob@example.org>, Cy \\<cy@example.org>\n\nCc: Dee \\<dee@example.org>\n\n"
        "Date: Mon, 30 Nov 2026 10:00:00 +0000\n\n## Summary\n\nSales rose 4 %.\n\n- North\n- South"
    )
    attachments = mail_attachments(path, MediaType.EML)
    assert [(a.filename, a.content_type, a.size, a.data) for a in attachments] == [
        ("figures.csv", "text/csv", 8, b"a,b\n1,2\n"),
        ("report.pdf", "application/pdf", 13, b"%PDF-1.4 fake"),
    ]
    assert "fields" in data.model_dump(mode="json")


def test_plain_text_mail_in_latin1(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "a@example.org"
    message["Subject"] = "Caf\u00e9"
    message.set_content(
        "Un caf\u00e9, merci.\n\nA bient\u00f4t.\n", charset="iso-8859-1", cte="8bit"
    )
    path = tmp_path / "plain.eml"
    path.write_bytes(message.as_bytes())
    reader = MailReader()
    [chunk] = reader.chunks(path, MediaType.EML)
    data = reader.read(path, chunk)
    assert [b.text for b in data.blocks] == [
        "Café",
        "From: a@example.org",
        "Un café, merci.",
        "A bientôt.",
    ]
    assert mail_attachments(path, MediaType.EML) == []


def _epub() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        archive.writestr(
            "OEBPS/content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
            '<manifest><item id="c2" href="text/two.xhtml" media-type="application/xhtml+xml"/>'
            '<item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
            '<item id="css" href="style.css" media-type="text/css"/></manifest>'
            '<spine><itemref idref="c1"/><itemref idref="css"/><itemref idref="c2"/></spine>'
            "</package>",
        )
        xhtml = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<html xmlns="http://www.w3.org/1999/xhtml"><body>{}</body></html>'
        )
        archive.writestr("OEBPS/text/one.xhtml", xhtml.format("<h1>Chapter 1</h1><p>It began.</p>"))
        archive.writestr("OEBPS/text/two.xhtml", xhtml.format("<h2>Chapter 2</h2><p>It ended.</p>"))
        archive.writestr("OEBPS/style.css", "p { margin: 0 }")
    return buffer.getvalue()


def test_epub_sections_follow_the_spine(tmp_path: Path) -> None:
    path = tmp_path / "book"
    path.write_bytes(_epub())
    assert sniff_file(path) is MediaType.EPUB
    reader = EpubReader()
    chunks = list(reader.chunks(path, MediaType.EPUB))
    assert [(c.seq, c.page_number, c.part) for c in chunks] == [
        (0, 1, "OEBPS/text/one.xhtml"),
        (1, 2, "OEBPS/text/two.xhtml"),
    ]
    assert [reader.read(path, c).markdown for c in chunks] == [
        "# Chapter 1\n\nIt began.",
        "## Chapter 2\n\nIt ended.",
    ]


def _msg() -> bytes:
    return build_msg(
        subject="Quarterly figures",
        sender="Ann Example <ann@example.org>",
        to="Bob <bob@example.org>",
        cc="Dee <dee@example.org>",
        date="Mon, 30 Nov 2026 10:00:00 +0000",
        body="Plain fallback body.",
        html=b"<html><body><h2>Summary</h2><p>Sales rose.</p><script>x()</script></body></html>",
        attachments=[
            ("figures.csv", "text/csv", b"a,b\n1,2\n"),
            ("report.pdf", "application/pdf", b"%PDF-1.4 fake"),
        ],
    )


def test_msg_headers_body_and_attachments(tmp_path: Path) -> None:
    path = tmp_path / "outlook"
    path.write_bytes(_msg())
    assert sniff_file(path) is MediaType.MSG
    reader = MailReader()
    [chunk] = reader.chunks(path, MediaType.MSG)
    data = reader.read(path, chunk)
    assert data.fields == {
        "From": "Ann Example <ann@example.org>",
        "To": "Bob <bob@example.org>",
        "Cc": "Dee <dee@example.org>",
        "Date": "Mon, 30 Nov 2026 10:00:00 +0000",
        "Subject": "Quarterly figures",
    }
    assert [(b.kind, b.text) for b in data.blocks] == [
        (BlockKind.TITLE, "Quarterly figures"),
        (BlockKind.PARAGRAPH, "From: Ann Example <ann@example.org>"),
        (BlockKind.PARAGRAPH, "To: Bob <bob@example.org>"),
        (BlockKind.PARAGRAPH, "Cc: Dee <dee@example.org>"),
        (BlockKind.PARAGRAPH, "Date: Mon, 30 Nov 2026 10:00:00 +0000"),
        (BlockKind.SECTION_HEADER, "Summary"),
        (BlockKind.PARAGRAPH, "Sales rose."),
    ]
    attachments = mail_attachments(path, MediaType.MSG)
    assert [(a.filename, a.content_type, a.size, a.data) for a in attachments] == [
        ("figures.csv", "text/csv", 8, b"a,b\n1,2\n"),
        ("report.pdf", "application/pdf", 13, b"%PDF-1.4 fake"),
    ]


def test_a_damaged_msg_is_a_corrupt_file(tmp_path: Path) -> None:
    data = bytearray(_msg())
    data[600:1400] = bytes(800)
    path = tmp_path / "broken.msg"
    path.write_bytes(bytes(data))
    with pytest.raises(PipelineError) as error:
        MailReader().chunks(path, MediaType.MSG).__next__()
    assert error.value.category is ErrorCategory.CORRUPT_FILE
