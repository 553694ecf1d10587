"""Plain text and RTF readers, and the shared text decoding."""

from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.formats.plain_text import PlainTextReader, text_blocks
from pipeline.formats.rtf import RtfReader, rtf_blocks
from pipeline.sources.sniff import sniff_file
from pipeline.sources.text_decoding import decode_text, detect_encoding
from schemas.blocks import BlockKind
from schemas.enums import ErrorCategory, MediaType

_TEXT = (
    "Garden log\n==========\n\nMonday: café opened,\nrain all day.\n\n\nTuesday\n-------\n\nSun.\n"
)


@pytest.mark.parametrize(
    ("encoding", "expected_codec"),
    [
        ("utf-8", "utf-8"),
        ("latin-1", "cp1252"),
        ("utf-16", "utf-16-le"),
        ("utf-16-le", "utf-16-le"),
        ("utf-16-be", "utf-16-be"),
        ("utf-8-sig", "utf-8"),
    ],
)
def test_plain_text_in_every_encoding(tmp_path: Path, encoding: str, expected_codec: str) -> None:
    path = tmp_path / "log"
    path.write_bytes(_TEXT.encode(encoding))
    assert sniff_file(path) is MediaType.TEXT
    assert decode_text(path.read_bytes()).encoding == expected_codec
    reader = PlainTextReader()
    [chunk] = reader.chunks(path, MediaType.TEXT)
    data = reader.read(path, chunk)
    assert [(b.kind, b.text, b.level) for b in data.blocks] == [
        (BlockKind.SECTION_HEADER, "Garden log", 1),
        (BlockKind.PARAGRAPH, "Monday: café opened,\nrain all day.", None),
        (BlockKind.SECTION_HEADER, "Tuesday", 2),
        (BlockKind.PARAGRAPH, "Sun.", None),
    ]
    assert (
        data.markdown == "# Garden log\n\nMonday: café opened,\nrain all day.\n\n## Tuesday\n\nSun."
    )


def test_only_safe_headings_are_inferred() -> None:
    blocks = text_blocks("SHOUTING LINE\n\n1. not a list\n\nshort\n===\n\nlong title here\n--\n")
    assert [(b.kind, b.text) for b in blocks] == [
        (BlockKind.PARAGRAPH, "SHOUTING LINE"),
        (BlockKind.PARAGRAPH, "1. not a list"),
        (BlockKind.SECTION_HEADER, "short"),
        (BlockKind.PARAGRAPH, "long title here\n--"),
    ]


def test_legacy_code_pages_are_detected() -> None:
    assert detect_encoding("Zürich und München sind schöne Städte.".encode("cp1252")) == "cp1252"
    assert decode_text("Привет, мир! Это проверка кодировки.".encode("cp1251")).text == (
        "Привет, мир! Это проверка кодировки."
    )
    with pytest.raises(PipelineError) as error:
        decode_text(bytes(range(256)))
    assert error.value.category is ErrorCategory.UNSUPPORTED_MEDIA


def test_rtf_paragraphs(tmp_path: Path) -> None:
    rtf = (
        rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\f0\b Title\b0\par"
        rb" Caf\'e9 au {\i lait}.\par\par Second line.\par}"
    )
    path = tmp_path / "doc"
    path.write_bytes(rtf)
    assert sniff_file(path) is MediaType.RTF
    reader = RtfReader()
    [chunk] = reader.chunks(path, MediaType.RTF)
    data = reader.read(path, chunk)
    assert [(b.kind, b.text) for b in data.blocks] == [
        (BlockKind.PARAGRAPH, "Title"),
        (BlockKind.PARAGRAPH, "Café au lait."),
        (BlockKind.PARAGRAPH, "Second line."),
    ]
    assert data.markdown == "Title\n\nCafé au lait.\n\nSecond line."
    assert rtf_blocks(rb"{\rtf1\ansi\ansicpg1251 \'cf\'f0\'e8\'e2\'e5\'f2\par}")[0].text == "Привет"
