"""Legacy DOC/PPT: without LibreOffice a clear `unsupported_media`; with it (a fake `soffice`
here, which records its command line and writes a DOCX) the converted file's blocks."""

import os
import stat
import sys
from pathlib import Path

import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.errors import PipelineError
from pipeline.formats.legacy import LegacyOfficeReader
from schemas.enums import ChunkKind, ErrorCategory, MediaType
from tests.support.office_files import make_docx

_FAKE_SOFFICE = """#!{python}
import shutil, sys
from pathlib import Path
Path({log!r}).write_text("\\n".join(sys.argv[1:]))
if {fail!r}:
    sys.stderr.write("Error: source file could not be loaded")
    sys.exit(1)
outdir = Path(sys.argv[sys.argv.index("--outdir") + 1])
source = Path(sys.argv[-1])
shutil.copyfile({docx!r}, outdir / (source.stem + ".docx"))
"""


def _fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docx = make_docx(tmp_path / "converted.docx")
    log = tmp_path / "soffice-args.txt"
    script = bin_dir / "soffice"
    script.write_text(
        _FAKE_SOFFICE.format(python=sys.executable, log=str(log), fail=fail, docx=str(docx))
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_without_libreoffice_a_doc_names_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.DOC))
    assert caught.value.category is ErrorCategory.UNSUPPORTED_MEDIA
    assert "install libreoffice-writer" in caught.value.message
    with pytest.raises(PipelineError) as deck:
        list(chunk_file(path, MediaType.PPT))
    assert "install libreoffice-impress" in deck.value.message


def test_a_doc_is_converted_headless_with_a_private_profile_and_read_as_docx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _fake_soffice(tmp_path, monkeypatch)
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    chunks = list(chunk_file(path, MediaType.DOC))
    assert [c.kind for c in chunks] == [ChunkKind.SECTION]  # no image jobs from a conversion
    args = log.read_text().splitlines()
    assert args[0].startswith("-env:UserInstallation=file:///")
    assert "--headless" in args and "--norestore" in args
    assert args[args.index("--convert-to") + 1] == "docx"
    assert args[-1].endswith("/input.doc")
    data = LegacyOfficeReader().read(path, chunks[0])
    assert data.engine == "soffice+docx"
    assert data.markdown.startswith("# Growing guide\n\n## Seeds")


def test_a_file_libreoffice_cannot_convert_is_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_soffice(tmp_path, monkeypatch, fail=True)
    path = tmp_path / "bad.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"junk" * 100)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.DOC))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert "could not be loaded" in caught.value.message


def test_a_broken_xls_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(PipelineError) as caught:
        list(chunk_file(path, MediaType.XLS))
    assert caught.value.category is ErrorCategory.CORRUPT_FILE
    assert caught.value.message.startswith("the XLS cannot be read")
