"""Speed of the structured-format readers, per format: units (sections, slides, sheet ranges)
and blocks per second per core, and how close their Markdown is to a reference.

For every file under `--corpus` (recursively; `groundtruth/` folders are references, not
inputs) and under `--samples`: sniff, chunk with the format's reader, read every structured
chunk; CPU time of the process (one core) is measured over `--repeat` runs and the best run
kept. Embedded pictures are counted but not OCRed (that is the picture engines' cost).

Similarity: when `groundtruth/<file name>.md` exists next to the file (e.g. Docling's output),
the document's Markdown (units joined as assembly joins them, markers stripped) is compared
word by word with difflib's ratio (1.0 = the same words in the same order); tables are
compared as their cell words (HTML tags and pipes dropped on both sides).

Run: .venv/bin/python bench/formats_speed.py --corpus /path/to/corpus --samples samples
"""

import argparse
import difflib
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.errors import PipelineError
from pipeline.formats.registry import reader_for
from pipeline.sources.sniff import sniff_file
from schemas.enums import ChunkKind, MediaType
from schemas.media import MAIL_MEDIA, OFFICE_MEDIA, STRUCTURED_KINDS, TEXT_MEDIA

_STRUCTURED = OFFICE_MEDIA | TEXT_MEDIA | MAIL_MEDIA
_MARKUP = re.compile(r"<[^>]+>|<!--.*?-->|[|#*`>_\\-]+")
_SHORT = {
    MediaType.DOCX: "docx",
    MediaType.PPTX: "pptx",
    MediaType.XLSX: "xlsx",
    MediaType.ODT: "odt",
    MediaType.ODP: "odp",
    MediaType.ODS: "ods",
    MediaType.CSV: "csv",
    MediaType.TSV: "tsv",
    MediaType.HTML: "html",
    MediaType.MARKDOWN: "md",
    MediaType.TEXT: "txt",
    MediaType.EPUB: "epub",
    MediaType.RTF: "rtf",
    MediaType.EML: "eml",
    MediaType.DOC: "doc",
    MediaType.PPT: "ppt",
    MediaType.XLS: "xls",
}


@dataclass
class FileRun:
    """One file read once: what it gave and what it cost."""

    units: int
    pictures: int
    blocks: int
    seconds: float
    markdown: str
    error: str | None = None


def read_file(path: Path, media_type: MediaType) -> FileRun:
    """Chunk and read every structured chunk of `path`; CPU seconds of this process."""
    started = time.process_time()
    reader = reader_for(media_type)
    units = pictures = blocks = 0
    parts: list[str] = []
    try:
        for chunk in reader.chunks(path, media_type):
            if chunk.kind is ChunkKind.IMAGE:
                pictures += 1
                continue
            if chunk.kind not in STRUCTURED_KINDS:
                continue
            units += 1
            data = reader.read(path, chunk)
            blocks += len(data.blocks)
            parts.append(data.markdown)
    except PipelineError as error:
        return FileRun(units, pictures, blocks, time.process_time() - started, "", str(error))
    return FileRun(units, pictures, blocks, time.process_time() - started, "\n\n".join(parts))


def similarity(markdown: str, reference: str) -> float:
    """difflib's ratio over the words of both texts, markup dropped."""
    ours = _MARKUP.sub(" ", markdown).split()
    theirs = _MARKUP.sub(" ", reference).split()
    if not ours and not theirs:
        return 1.0
    return difflib.SequenceMatcher(None, ours, theirs, autojunk=False).ratio()


def inputs(roots: list[Path]) -> list[Path]:
    """Every regular file under the roots, references and hidden files left out."""
    found = []
    for root in roots:
        for path in sorted(root.rglob("*") if root.is_dir() else [root]):
            if path.is_file() and "groundtruth" not in path.parts and not path.name.startswith("."):
                found.append(path)
    return found


def main() -> int:
    """Print the per-format table and the per-file similarities."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[])
    parser.add_argument("--samples", type=Path, action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    rows = []
    for path in inputs(args.corpus + args.samples):
        media_type = sniff_file(path)
        if media_type not in _STRUCTURED:
            continue
        try:
            reader_for(media_type)
        except PipelineError:
            continue
        runs = [read_file(path, media_type) for _ in range(max(args.repeat, 1))]
        best = min(runs, key=lambda run: run.seconds)
        name = _SHORT.get(media_type, media_type.value)
        total = totals[name]
        total[0] += 1
        total[1] += best.units
        total[2] += best.blocks
        total[3] += best.pictures
        total[4] += best.seconds
        reference = path.parent / "groundtruth" / f"{path.name}.md"
        score = similarity(best.markdown, reference.read_text()) if reference.is_file() else None
        rows.append((path.name, name, best, score))
    print("| format | files | units | blocks | pictures | CPU s | units/s/core | blocks/s/core |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (files, units, blocks, pictures, seconds) in sorted(totals.items()):
        per = max(seconds, 1e-9)
        print(
            f"| {name} | {files:.0f} | {units:.0f} | {blocks:.0f} | {pictures:.0f} |"
            f" {seconds:.3f} | {units / per:,.0f} | {blocks / per:,.0f} |"
        )
    print()
    print("| file | format | units | blocks | ms | similarity | error |")
    print("|---|---|---|---|---|---|---|")
    for file_name, name, run, score in rows:
        shown = f"{score:.2f}" if score is not None else "-"
        print(
            f"| {file_name} | {name} | {run.units} | {run.blocks} | {run.seconds * 1000:.1f} |"
            f" {shown} | {run.error or ''} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
