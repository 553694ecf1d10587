"""Web, text and e-mail readers on mutated and random bytes: results or `PipelineError`s only."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import PipelineError
from pipeline.formats.base import FormatReader
from pipeline.formats.epub import EpubReader
from pipeline.formats.html import HtmlReader
from pipeline.formats.mail import MailReader, mail_attachments
from pipeline.formats.markdown import MarkdownReader
from pipeline.formats.plain_text import PlainTextReader
from pipeline.formats.rtf import RtfReader
from schemas.enums import MediaType
from tests.unit.test_format_html import _PAGE
from tests.unit.test_format_mail import _epub, _message, _msg
from tests.unit.test_format_markdown import _NOTE

_SEEDS: dict[str, tuple[FormatReader, MediaType, bytes]] = {
    "html": (HtmlReader(), MediaType.HTML, _PAGE.encode()),
    "markdown": (MarkdownReader(), MediaType.MARKDOWN, _NOTE.encode()),
    "text": (PlainTextReader(), MediaType.TEXT, "Title\n=====\n\nCafé\n".encode("utf-16")),
    "rtf": (RtfReader(), MediaType.RTF, rb"{\rtf1\ansi{\fonttbl{\f0 A;}}\b T\b0\par x\'e9\par}"),
    "eml": (MailReader(), MediaType.EML, _message()),
    "epub": (EpubReader(), MediaType.EPUB, _epub()),
    "msg": (MailReader(), MediaType.MSG, _msg()),
}


def _run(tmp_path: Path, name: str, data: bytes) -> None:
    reader, media_type, _ = _SEEDS[name]
    path = tmp_path / "fuzzed"
    path.write_bytes(data)
    try:
        for chunk in list(reader.chunks(path, media_type)):
            reader.read(path, chunk)
        if media_type in (MediaType.EML, MediaType.MSG):
            mail_attachments(path, media_type)
    except PipelineError:
        pass


@settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(sorted(_SEEDS)),
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), max_size=16),
    st.integers(1, 1 << 16),
)
def test_mutated_inputs_raise_only_pipeline_errors(
    tmp_path: Path, name: str, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(_SEEDS[name][2])
    for position, value in flips:
        data[position % len(data)] = value
    _run(tmp_path, name, bytes(data[:cut]))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(sorted(_SEEDS)), st.binary(max_size=2048))
def test_random_bytes_raise_only_pipeline_errors(tmp_path: Path, name: str, data: bytes) -> None:
    _run(tmp_path, name, data)
