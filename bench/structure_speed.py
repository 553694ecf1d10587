"""Local-tier speed with structure on: pages/s per core against get_text and pymupdf4llm.

Run on demand from the repository root (not a test):

    .venv/bin/python bench/structure_speed.py [CORPUS] [--kinds pdf-native,pdf-native-cjk,...]
        [--repeat 1] [--out figures.json]

The pages are every page of the corpus PDFs whose MANIFEST.tsv kind is in `--kinds` (default:
the native PDFs, `pdf-native`, `pdf-native-cjk`, `pdf-native-rtl`; add `pdf-mixed` for the NIST
report). Three engines read all of them, each in a fresh process pinned to one CPU core, so
the figures are per core and one engine's imports (pymupdf4llm switches PyMuPDF's layout
analyser on) never reach another:

- **get_text loop**: `page.get_text()` on every page — the baseline;
- **pymupdf4llm**: `pymupdf4llm.to_markdown(doc, pages=[i])` per page, its default mode;
- **greenhouse**: the local engine per page (`eval.structure_engines.greenhouse_page_function`,
  the same adapter the structure evaluation scores).

Documents are opened and each engine is warmed up on one page before the clock starts. The
figure is pages per CPU-second of the engine's process (all its threads) over the per-page
calls, the best of `--repeat` passes: on a shared machine, wall time mostly measures the
neighbours (it is printed too). The five slowest pages of each engine go to stderr.
"""

import argparse
import csv
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eval.structure_engines import page_function_for

DEFAULT_CORPUS = Path("/work/shared/corpus")
DEFAULT_KINDS = ("pdf-native", "pdf-native-cjk", "pdf-native-rtl")
ENGINES = ("plain", "pymupdf4llm", "greenhouse")
LABELS = {"plain": "get_text loop", "pymupdf4llm": "pymupdf4llm", "greenhouse": "greenhouse"}


def native_pdfs(corpus: Path, kinds: Sequence[str]) -> list[Path]:
    """The corpus PDFs of the given MANIFEST kinds that exist and open without a password."""
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as manifest:
        rows = list(csv.reader(manifest, delimiter="\t"))
    paths = [corpus / row[0] for row in rows if len(row) > 4 and row[4] in kinds]
    return sorted(path for path in paths if path.suffix == ".pdf" and path.is_file())


@dataclass
class EngineTiming:
    """One engine's pass over all pages: wall and CPU seconds, and its slowest pages."""

    pages: int
    wall: float
    cpu: float
    slowest: list[tuple[float, str, int]]


def time_engine(engine: str, paths: Sequence[Path], repeat: int) -> EngineTiming:
    """The best of `repeat` timed passes of one engine over every page, in this process."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    page_function = page_function_for(engine)
    import pymupdf

    documents = [pymupdf.open(path) for path in paths]
    documents = [document for document in documents if not document.needs_pass]
    page_function(documents[0], 0)  # warm-up: models and fonts load outside the clock
    pages = sum(len(document) for document in documents)
    best: EngineTiming | None = None
    for _ in range(repeat):
        per_page: list[tuple[float, str, int]] = []
        wall, cpu = time.perf_counter(), time.process_time()
        for document in documents:
            for index in range(len(document)):
                started = time.process_time()
                try:
                    page_function(document, index)
                except Exception as error:  # a page an engine cannot read still costs its time
                    print(f"{engine}: {document.name} page {index + 1}: {error}", file=sys.stderr)
                per_page.append((time.process_time() - started, Path(document.name).name, index))
        timing = EngineTiming(
            pages,
            time.perf_counter() - wall,
            time.process_time() - cpu,
            sorted(per_page, reverse=True)[:5],
        )
        if best is None or timing.cpu < best.cpu:
            best = timing
    assert best is not None
    return best


def time_in_child(engine: str, paths: Sequence[Path], repeat: int) -> EngineTiming:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(time_engine, engine, list(paths), repeat).result()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--kinds", default=",".join(DEFAULT_KINDS))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    paths = native_pdfs(args.corpus, [kind.strip() for kind in args.kinds.split(",")])
    if not paths:
        parser.error(f"no PDFs of kinds {args.kinds} in {args.corpus}")
    timings = {engine: time_in_child(engine, paths, args.repeat) for engine in ENGINES}
    for engine, timing in timings.items():
        slowest = ", ".join(f"{name} p{i + 1} {cpu:.2f}s" for cpu, name, i in timing.slowest)
        print(f"{LABELS[engine]}: slowest pages (CPU): {slowest}", file=sys.stderr)
    pages = timings["plain"].pages
    print(f"{len(paths)} PDFs, {pages} pages, each engine in one process pinned to one core")
    print(
        f"{'engine':<14} {'pages/CPU-s':>11} {'x get_text':>11} {'x pymupdf4llm':>14}"
        f" {'pages/wall-s':>13}"
    )
    rates = {engine: timing.pages / timing.cpu for engine, timing in timings.items()}
    for engine, timing in timings.items():
        rate = rates[engine]
        print(
            f"{LABELS[engine]:<14} {rate:>11.1f} {rate / rates['plain']:>11.4f}"
            f" {rate / rates['pymupdf4llm']:>14.2f} {timing.pages / timing.wall:>13.1f}"
        )
    if args.out:
        figures = {engine: asdict(timing) for engine, timing in timings.items()}
        args.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
