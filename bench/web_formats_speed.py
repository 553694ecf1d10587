"""Web, text and e-mail readers: documents/s per core per format, and text similarity to a
reference Markdown where there is one.

Run on demand from the repository root (not a test):

    .venv/bin/python bench/web_formats_speed.py [CORPUS] [--repeat 5]

Inputs: CORPUS/office/html/*.html (scored against CORPUS/office/html/groundtruth/NAME.md,
Docling's output), the HTML and EPUB of CORPUS/office/other, and the generated samples in
samples/ (HTML, Markdown, plain text, e-mail) plus an RTF made here. For each file the clock
covers what a document costs the pipeline: `sniff_file`, the reader's `chunks` and `read` of
every chunk. One process, one thread, so the figure is per core: documents per CPU-second,
the best of `--repeat` passes.

Similarity: both texts reduced to words (Markdown syntax, HTML tags and link targets dropped,
lower case), then difflib's ratio over the word sequences (1.0 = the same words in the same
order) and a bag-of-words F1 (order ignored).
"""

import argparse
import difflib
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.formats.registry import reader_for
from pipeline.sources.sniff import sniff_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path("/work/shared/corpus")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
_RTF = (
    rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\f0\b Greenhouse memo\b0\par"
    rb" The vents opened at dawn and closed at dusk.\par\par Humidity stayed near sixty"
    rb" percent all week.\par}"
)


def words(markdown: str) -> list[str]:
    text = _TAG.sub(" ", _LINK.sub(r"\1", markdown))
    return [word.lower() for word in _WORD.findall(text)]


def similarity(ours: str, reference: str) -> tuple[float, float]:
    a, b = words(ours), words(reference)
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    common = sum((Counter(a) & Counter(b)).values())
    f1 = 2 * common / (len(a) + len(b)) if a or b else 1.0
    return ratio, f1


def convert(path: Path) -> tuple[str, str]:
    media_type = sniff_file(path)
    reader = reader_for(media_type)
    pages = [reader.read(path, chunk) for chunk in reader.chunks(path, media_type)]
    return media_type.value, "\n\n".join(page.markdown for page in pages)


def cpu_seconds(path: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        convert(path)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    html_dir = args.corpus / "office" / "html"
    other = args.corpus / "office" / "other"
    scratch = Path(tempfile.mkdtemp())
    (scratch / "memo.rtf").write_bytes(_RTF)
    files = [
        *sorted(html_dir.glob("*.html")),
        *sorted(other.glob("*.html")),
        *sorted(other.glob("*.epub")),
        *(ROOT / "samples" / name for name in ("greenhouse-notes.html", "watering-plan.md")),
        *(ROOT / "samples" / name for name in ("greenhouse-log.txt", "weekly-harvest.eml")),
        scratch / "memo.rtf",
    ]
    print("| file | format | KiB | docs/s per core | word ratio | word F1 |")
    print("|---|---|---:|---:|---:|---:|")
    totals: dict[str, list[float]] = {}
    for path in files:
        if not path.exists():
            continue
        media, markdown = convert(path)  # warm-up, and the output that is scored
        seconds = cpu_seconds(path, args.repeat)
        reference = html_dir / "groundtruth" / f"{path.name}.md"
        scores = ("", "")
        if path.parent == html_dir and reference.exists():
            ratio, f1 = similarity(markdown, reference.read_text(encoding="utf-8"))
            scores = (f"{ratio:.3f}", f"{f1:.3f}")
        rate = 1 / seconds if seconds > 0 else float("inf")
        totals.setdefault(media, []).append(seconds)
        size = path.stat().st_size / 1024
        print(f"| {path.name} | {media} | {size:.1f} | {rate:.1f} | {scores[0]} | {scores[1]} |")
    print()
    print("| format | documents | docs/s per core (all of them) |")
    print("|---|---:|---:|")
    for media, spent in sorted(totals.items()):
        print(f"| {media} | {len(spent)} | {len(spent) / sum(spent):.1f} |")


if __name__ == "__main__":
    main()
