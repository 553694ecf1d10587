"""A fake `soffice` on PATH: a Python script that parses `--convert-to pdf --outdir DIR FILE`
and writes a real PDF with PyMuPDF, one landscape page per slide of a PPTX (else one portrait
page), each saying `Converted page N of NAME`; it logs every command line it gets."""

import os
import stat
import sys
from pathlib import Path

import pytest

__all__ = ["install_fake_soffice", "page_text"]

_SCRIPT = """#!{python}
import sys, time, zipfile
from pathlib import Path
import pymupdf

args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
if {mode!r} == "fail":
    sys.stderr.write("Error: source file could not be loaded")
    sys.exit(1)
if {mode!r} == "hang":
    time.sleep(30)
target = args[args.index("--convert-to") + 1]
outdir = Path(args[args.index("--outdir") + 1])
source = Path(args[-1])
with zipfile.ZipFile(source) as package:
    slides = [n for n in package.namelist() if n.startswith("ppt/slides/slide")]
size = (720, 540) if slides else (612, 792)
document = pymupdf.open()
for number in range(1, max(len(slides), 1) + 1):
    page = document.new_page(width=size[0], height=size[1])
    page.insert_text((72, 100), {text!r}.format(number, source.name), fontsize=14)
document.save(outdir / (source.stem + "." + target))
"""

_TEXT = "Converted page {} of {}"


def page_text(number: int, name: str) -> str:
    """The text the fake prints on page `number` of the file it converted (named `name`)."""
    return _TEXT.format(number, name)


def install_fake_soffice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str = "ok") -> Path:
    """Put the fake first on PATH (`mode`: ok, fail = exit 1, hang = sleep 30 s); returns the
    file its command lines are logged to."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "soffice-calls.txt"
    script = bin_dir / "soffice"
    script.write_text(_SCRIPT.format(python=sys.executable, log=str(log), mode=mode, text=_TEXT))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log
