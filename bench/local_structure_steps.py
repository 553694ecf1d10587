"""What each step of the local tier's structure costs, in ms per page, on the corpus's native
PDFs (run on demand, not a test):

    .venv/bin/python bench/local_structure_steps.py [CORPUS] [--kinds pdf-native,...] [--mixed]

Every page is read the way `extract_native_page` reads it, one step at a time under a clock:
one MuPDF text page, its "dict", its block list (bands), the rawdict (only on pages with a
line to repair: the count is printed), the lines (the text page, "dict" and lines are handed
over by the font sample when it read the page first), tables, image list, the document's
font statistics and the neighbours' bands (both read once per document, reported per page),
the block assembly and the Markdown/text rendering, plus the text-layer check that runs on
the same "dict" (`local_pdf_page`'s flow). `get_text()` on every page, in the same run, is
the baseline. One process, one core: the figures are per core.
"""

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf

from bench.structure_speed import DEFAULT_CORPUS, DEFAULT_KINDS, native_pdfs
from pipeline.local.structure.cleanup import clean_grid
from pipeline.local.structure.document import (
    breaks_words_at_line_ends,
    document_font_stats,
    neighbour_bands,
    page_bands,
    remember_fonts,
    take_sampled_read,
)
from pipeline.local.structure.figures import figure_boxes
from pipeline.local.structure.fonts import page_fonts
from pipeline.local.structure.furniture import band_blocks, furniture_kinds
from pipeline.local.structure.lines import TextLine, read_lines
from pipeline.local.structure.page import PageFacts, PageTable, page_blocks
from pipeline.local.structure.page_text import TEXT_FLAGS
from pipeline.local.tables import extract_tables
from pipeline.local.text_layer import assess_text_layer
from pipeline.sources.mupdf import prepare_mupdf
from schemas.extractions import PageContentData, PageSize

T = TypeVar("T")


class Clock:
    """Seconds spent per step."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.rawdict_pages = 0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start

    def timed(self, name: str, call: Callable[[], T]) -> T:
        with self.step(name):
            return call()


def read_page(document: pymupdf.Document, index: int, clock: Clock) -> None:
    """`extract_native_page`'s steps, each timed."""
    sampled = take_sampled_read(document, index)  # the font sample's read, as the engine does
    if sampled is None:
        page = clock.timed("load_page", lambda: document.load_page(index))
        textpage = clock.timed("text page (MuPDF)", lambda: page.get_textpage(flags=TEXT_FLAGS))
        page_dict = clock.timed("dict", textpage.extractDICT)
    else:
        page, textpage, page_dict = sampled.page, sampled.textpage, sampled.page_dict
    frame = page.rect * page.derotation_matrix

    def rawdict() -> dict[str, object]:
        clock.rawdict_pages += 1
        raw: dict[str, object] = textpage.extractRAWDICT()
        return raw

    assessment = clock.timed(
        "text-layer check (+ image list)", lambda: assess_text_layer(page, page_dict=page_dict)
    )

    def own_lines() -> list[TextLine]:
        if sampled is not None and sampled.lines is not None:
            return sampled.lines
        return read_lines(page_dict, rawdict)

    lines = clock.timed("lines + repairs (rawdict)", own_lines)
    bands = clock.timed(
        "bands (blocks)",
        lambda: page_bands(
            document, index, lambda: band_blocks(textpage.extractBLOCKS(), frame.height)
        ),
    )
    found = clock.timed(
        "tables", lambda: extract_tables(page, page_dict=page_dict, textpage=textpage)
    )
    tables = [PageTable(table.bbox, clean_grid(table.grid)) for table in found]
    with clock.step("font statistics (per doc)"):
        numbers = {block.number for block in bands}
        remember_fonts(document, index, page_fonts(index, lines, frame.height, numbers))
        stats = document_font_stats(document)
    neighbours = clock.timed("neighbour bands", lambda: neighbour_bands(document, index))
    with clock.step("structure (furniture, blocks)"):
        facts = PageFacts(
            page_index=index,
            stats=stats,
            breaks_words=breaks_words_at_line_ends(document),
            page_height=frame.height,
            furniture=furniture_kinds(bands, neighbours, frame.width, frame.height),
        )
        figures = figure_boxes(assessment.image_boxes, frame.width, frame.height)
        blocks = page_blocks(lines, tables, figures, facts)
    size = PageSize(width=page.rect.width, height=page.rect.height, rotation=0)
    clock.timed("render (text, Markdown)", lambda: PageContentData.from_blocks(blocks, size, "x"))


def one_pass(paths: list[Path]) -> tuple[Clock, float, int]:
    """One pass over the documents (opened afresh): the steps' clock, the baseline's seconds
    and the page count."""
    clock = Clock()
    pages = 0
    baseline = 0.0
    for path in paths:
        plain = pymupdf.open(path)
        start = time.perf_counter()
        for index in range(plain.page_count):
            plain.load_page(index).get_text()
        baseline += time.perf_counter() - start
        document = pymupdf.open(path)
        for index in range(document.page_count):
            read_page(document, index, clock)
        pages += document.page_count
    return clock, baseline, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--kinds", default=",".join(DEFAULT_KINDS))
    parser.add_argument("--repeat", type=int, default=5, help="best of this many passes")
    arguments = parser.parse_args()
    prepare_mupdf()
    paths = native_pdfs(arguments.corpus, arguments.kinds.split(","))
    passes = [one_pass(paths) for _ in range(arguments.repeat)]
    pages = passes[0][2]
    best = {name: min(p[0].seconds[name] for p in passes) for name in passes[0][0].seconds}
    baseline = min(p[1] for p in passes)
    total = sum(best.values())
    print(f"{len(paths)} documents, {pages} pages; rawdict read on {passes[0][0].rawdict_pages}")
    print(f"best of {arguments.repeat} passes per step, ms/page:")
    for name, seconds in best.items():
        print(f"  {name:34s} {1000 * seconds / pages:7.3f}")
    print(f"  {'local tier, text-layer page':34s} {1000 * total / pages:7.3f}")
    print(f"  {'plain get_text() loop':34s} {1000 * baseline / pages:7.3f}")
    print(f"structure steps with the check: {total / baseline:.1f} x get_text()")


if __name__ == "__main__":
    main()
