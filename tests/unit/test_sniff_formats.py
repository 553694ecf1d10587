"""Sniffing office, web, text, e-mail and archive formats from their bytes alone."""

import io
import os
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.sources.sniff import SNIFF_BYTES, sniff_bytes, sniff_file
from schemas.enums import MediaType
from tests.support.compound_files import build_msg
from tests.support.sniff_samples import (
    compound_file,
    epub_zip,
    odf_zip,
    ooxml_zip,
    plain_zip,
    tar_bytes,
)

_HTML = b"<!DOCTYPE html>\n<html><head><title>T</title></head><body><p>Hi</p></body></html>"
_EML = (
    b"Received: from mx.example.org by mail.example.org\r\n"
    b"From: Ann <ann@example.org>\r\n"
    b"To: Bob <bob@example.org>\r\n"
    b"Subject: Quarterly\r\n figures\r\n"
    b"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n"
    b"\r\n"
    b"Hello Bob.\r\n"
)
_MARKDOWN = b"# Notes\n\nSome text with a [link](https://example.org).\n\n- one\n- two\n"


def _samples() -> dict[str, tuple[bytes, MediaType]]:
    return {
        "docx": (ooxml_zip("docx"), MediaType.DOCX),
        "pptx": (ooxml_zip("pptx"), MediaType.PPTX),
        "xlsx": (ooxml_zip("xlsx"), MediaType.XLSX),
        "odt": (odf_zip("application/vnd.oasis.opendocument.text"), MediaType.ODT),
        "odp": (odf_zip("application/vnd.oasis.opendocument.presentation"), MediaType.ODP),
        "ods": (odf_zip("application/vnd.oasis.opendocument.spreadsheet"), MediaType.ODS),
        "epub": (epub_zip(), MediaType.EPUB),
        "zip": (plain_zip(), MediaType.ZIP),
        "tar": (tar_bytes(), MediaType.TAR),
        "tar.gz": (tar_bytes(compressed=True), MediaType.GZIP),
        "doc": (compound_file(["WordDocument"]), MediaType.DOC),
        "xls": (compound_file(["Workbook"]), MediaType.XLS),
        "xls95": (compound_file(["Book"]), MediaType.XLS),
        "ppt": (compound_file(["PowerPoint Document"]), MediaType.PPT),
        "msg": (
            compound_file(["__substg1.0_0037001F", "__properties_version1.0"]),
            MediaType.MSG,
        ),
        "outlook": (
            build_msg("Hi", "a@example.org", "b@example.org", "", "", "Body", None, []),
            MediaType.MSG,
        ),
        "rtf": (b"{\\rtf1\\ansi Hello}", MediaType.RTF),
        "eml": (_EML, MediaType.EML),
        "html": (_HTML, MediaType.HTML),
        "markdown": (_MARKDOWN, MediaType.MARKDOWN),
        "csv": (b"name,qty,price\napple,3,1.20\npear,5,0.80\n", MediaType.CSV),
        "tsv": (b"name\tqty\napple\t3\npear\t5\n", MediaType.TSV),
        "text": (b"Dear Bob,\n\nthe meeting is moved to Tuesday.\n", MediaType.TEXT),
    }


@pytest.mark.parametrize("name", sorted(_samples()))
def test_each_format_is_recognised_from_its_bytes_whatever_its_name(
    name: str, tmp_path: Path
) -> None:
    data, expected = _samples()[name]
    assert sniff_bytes(data) is expected
    disguised = tmp_path / "upload.pdf"
    disguised.write_bytes(data)
    assert sniff_file(disguised) is expected


@pytest.mark.parametrize("kind", ["docx", "pptx", "xlsx"])
def test_ooxml_without_content_types_is_known_by_its_main_part(kind: str) -> None:
    expected = {"docx": MediaType.DOCX, "pptx": MediaType.PPTX, "xlsx": MediaType.XLSX}[kind]
    assert sniff_bytes(ooxml_zip(kind, with_content_types=False)) is expected
    assert sniff_bytes(ooxml_zip(kind, content_types_first=False)) is expected


def test_ooxml_whose_parts_lie_beyond_the_head_needs_the_central_directory(
    tmp_path: Path,
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("docProps/thumbnail.jpeg", os.urandom(3 * SNIFF_BYTES))
        archive.writestr("word/document.xml", "<w:document/>", zipfile.ZIP_DEFLATED)
    path = tmp_path / "report"
    path.write_bytes(buffer.getvalue())
    assert sniff_bytes(buffer.getvalue()[:SNIFF_BYTES]) is MediaType.ZIP
    assert sniff_file(path) is MediaType.DOCX


def test_a_central_directory_declared_too_large_is_not_parsed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("docProps/thumbnail.jpeg", os.urandom(3 * SNIFF_BYTES))
        archive.writestr("word/document.xml", "<w:document/>", zipfile.ZIP_DEFLATED)
    data = bytearray(buffer.getvalue())
    end = data.rfind(b"PK\x05\x06")
    data[end + 10 : end + 12] = b"\xff\xff"  # entries: the ZIP64 marker, not trusted
    path = tmp_path / "report"
    path.write_bytes(bytes(data))
    assert sniff_file(path) is MediaType.ZIP


def test_a_zip_whose_mimetype_is_not_odf_is_a_zip() -> None:
    assert sniff_bytes(odf_zip("text/plain")) is MediaType.ZIP


def test_an_ole_file_of_another_kind_is_unknown() -> None:
    assert sniff_bytes(compound_file(["Contents"])) is MediaType.UNKNOWN


def test_a_message_holding_a_word_attachment_is_a_message() -> None:
    names = ["WordDocument", "__substg1.0_1000001F", "__properties_version1.0"]
    assert sniff_bytes(compound_file(names)) is MediaType.MSG


@pytest.mark.parametrize(
    "data",
    [
        b"\xef\xbb\xbf  <!-- generated -->\n<html lang=en><p>x</p></html>",
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN"'
        b' "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml">',
        b"<HEAD><TITLE>old</TITLE></HEAD>",
        b"\n\n<body>\n<p>fragment</p>",
        "<!doctype html><p>é</p>".encode("utf-16"),
        "<!doctype html><p>é</p>".encode("utf-16-le"),
    ],
)
def test_html_variants(data: bytes) -> None:
    assert sniff_bytes(data) is MediaType.HTML


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<htmlish> is not a tag we know", MediaType.TEXT),
        (b"Subject: hello\n\nonly one known header", MediaType.TEXT),
        (b"From: a@example.org\nnot a header line\nTo: b@example.org\n\n", MediaType.TEXT),
        (
            b"From a@example.org Mon Nov 30 10:00:00 2026\nFrom: a@x\nDate: today\n\nhi",
            MediaType.EML,
        ),
        (b"Title: Notes\nDate: 2026-11-30\n\nA Pelican page header.", MediaType.TEXT),
    ],
)
def test_mail_and_html_need_their_real_shapes(data: bytes, expected: MediaType) -> None:
    assert sniff_bytes(data) is expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Just a sentence, with a comma.\nAnother one, also with a comma.\n", MediaType.TEXT),
        (b"a;b;c\n1;2;3\n4;5;6\n", MediaType.CSV),
        (b'name,note\n"Smith, J","said ""hi"""\nDoe,x\n', MediaType.CSV),
        (b"a,b\n1,2,3\n", MediaType.TEXT),
        (b"single column\nvalues only\n", MediaType.TEXT),
        (b"| a | b |\n|---|---|\n| 1 | 2 |\n", MediaType.MARKDOWN),
        (b"```\ncode\n```\n", MediaType.MARKDOWN),
        (b"Title\n=====\n\nSee **this** part.\n", MediaType.MARKDOWN),
        (b"Some text\n- a dash item\n", MediaType.TEXT),
        (b"Intro\n\n> quoted\n\n1. first\n", MediaType.MARKDOWN),
    ],
)
def test_delimited_markdown_and_plain_text(data: bytes, expected: MediaType) -> None:
    assert sniff_bytes(data) is expected


@pytest.mark.parametrize(
    "data",
    [
        "Café crème brûlée, naïve façade.".encode("latin-1"),
        "Zürich und München sind Städte in Mitteleuropa.".encode("cp1252"),
        "Привет, мир! Это проверка кодировки текста.".encode("cp1251"),
        "Plain words in UTF-16 without a byte order mark.".encode("utf-16-le"),
        "Plain words in UTF-16 big endian.".encode("utf-16-be"),
        "日本語のテキストです。".encode(),
    ],
)
def test_text_in_legacy_and_wide_encodings_is_text(data: bytes) -> None:
    assert sniff_bytes(data) is MediaType.TEXT


def test_binary_noise_is_unknown() -> None:
    noise = random.Random(7).randbytes(SNIFF_BYTES)
    assert sniff_bytes(noise) is MediaType.UNKNOWN
    assert sniff_bytes(b"abc\x00\x01\x02\x03def" * 20) is MediaType.UNKNOWN


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=SNIFF_BYTES + 64))
def test_random_bytes_never_raise(data: bytes) -> None:
    assert isinstance(sniff_bytes(data), MediaType)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(sorted(_samples())),
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=12),
    st.integers(0, 1 << 16),
)
def test_mutated_files_never_raise(
    tmp_path: Path, name: str, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_samples()[name][0])
    for position, value in flips:
        if data:
            data[position % len(data)] = value
    mutated = bytes(data[: max(cut, 1)] if cut < len(data) else data)
    assert isinstance(sniff_bytes(mutated), MediaType)
    path = tmp_path / "mutant"
    path.write_bytes(mutated)
    assert isinstance(sniff_file(path), MediaType)
