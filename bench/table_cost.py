"""What table detection costs per page, before and after, step by step, in one run.

    .venv/bin/python -m bench.table_cost /work/shared/corpus/pdf [--repeat 3]

"Before" is the previous implementation (kept below): `get_drawings()` counting six ruling
segments, then `find_tables(use_layout=False)` on the whole page, `table.header` (which
renders the top row) and the page's words. "After" is `pipeline.local.tables.extract_tables`
(a `get_cdrawings()` gate, cells from the rules, no `find_tables`), given the caller's text
page as `native_text` does (and alone), with its steps timed apart.
Each page is timed with every variant in turn, the best of `--repeat` runs; figures are means
per page in milliseconds and after/before ratios of the sums. The corpus is only read.
Every table found is checked to be a partition of its grid (each position covered by exactly
one cell); the count of tables that are not is printed with the partition step
(`table_partition`) and with it switched off, as the grids were before it existed.
"""

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from pipeline.sources.mupdf import prepare_mupdf

T = TypeVar("T")


STEPS = {
    "gate_before": "before: gate, get_drawings() + count of segments",
    "total_before": "before: whole table step",
    "gate_after": "after: gate, get_cdrawings() + crossing rules",
    "cells_after": "after: cells from the rules of regions with text",
    "words_after": "after: words from the caller's text page",
    "borderless_after": "after: borderless scan of those words",
    "total_after": "after: whole table step (caller's text page)",
    "alone_after": "after: whole table step (reads its own words)",
}


@dataclass
class _Totals:
    pages: int = 0
    costs: dict[str, list[float]] = field(default_factory=lambda: {key: [] for key in STEPS})
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, amount: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + amount


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a folder of PDFs (searched recursively)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    prepare_mupdf()
    import pymupdf

    from pipeline.local.structure.page_text import TEXT_FLAGS
    from pipeline.local.table_borderless import find_borderless_tables
    from pipeline.local.table_cells import table_cell_boxes
    from pipeline.local.table_gate import find_ruled_regions, read_rules
    from pipeline.local.tables import extract_tables

    def new_gate(page: Any) -> list[Any]:
        return find_ruled_regions(read_rules(page).rules)

    pymupdf.TOOLS.mupdf_display_errors(False)
    totals = _Totals()
    for page in _pages(pymupdf, args.corpus):
        totals.pages += 1
        textpage = page.get_textpage(flags=TEXT_FLAGS)
        words = textpage.extractWORDS()
        texty = [r for r in new_gate(page) if _holds_words(r.bbox, words)]
        timed = {
            "gate_before": partial(_count_ruling_segments, page),
            "total_before": partial(_before_extract, page),
            "gate_after": partial(new_gate, page),
            "cells_after": partial(_cells, table_cell_boxes, texty),
            "words_after": textpage.extractWORDS,
            "borderless_after": partial(find_borderless_tables, words),
            "total_after": partial(extract_tables, page, textpage=textpage),
            "alone_after": partial(extract_tables, page),
        }
        results: dict[str, Any] = {}
        for key, call in timed.items():
            cost, results[key] = _best(args.repeat, call)
            totals.costs[key].append(cost)
        regions, new, old = results["gate_after"], results["total_after"], results["total_before"]
        totals.count("passed_before", results["gate_before"] >= 6)
        totals.count("passed_after", bool(regions))
        totals.count("texty_after", bool(texty))
        totals.count("tables_before", old)
        totals.count("tables_after", len(new))
        totals.count("table_pages_before", old > 0)
        totals.count("table_pages_after", bool(new))
        totals.count(
            "borderless",
            sum(1 for table in new if not any(_overlaps(table.bbox, r.bbox) for r in regions)),
        )
        totals.count("spanning", sum(1 for table in new if table.grid.has_spans))
        totals.count("headed", sum(1 for table in new if table.grid.header_rows))
        totals.count("irregular_after", sum(1 for table in new if _irregular(table.grid)))
        with _without_partition():
            unenforced = extract_tables(page, textpage=textpage)
        totals.count("irregular_before", sum(1 for table in unenforced if _irregular(table.grid)))
    _report(totals)
    return 0


def _irregular(grid: Any) -> bool:
    """The grid is not a partition: a position has two cells, none, or lies outside it."""
    from pipeline.local.table_partition import grid_violations

    spans = [(c.row, c.col, c.row + c.row_span, c.col + c.col_span) for c in grid.cells]
    return grid_violations(grid.n_rows, grid.n_cols, spans) > 0


@contextlib.contextmanager
def _without_partition() -> Iterator[None]:
    """`extract_tables` as it was before grids were made partitions."""
    with (
        mock.patch("pipeline.local.tables.make_partition", return_value=None),
        mock.patch("pipeline.local.tables.drop_containers", lambda cells: cells),
    ):
        yield


def _pages(pymupdf: Any, corpus: Path) -> Iterator[Any]:
    for path in sorted(corpus.rglob("*.pdf")):
        try:
            document = pymupdf.open(path)
        except Exception:  # broken files are part of the corpus
            continue
        if document.needs_pass:
            continue
        for index in range(document.page_count):
            try:
                yield document.load_page(index)
            except Exception:
                continue


def _best(repeat: int, call: Callable[[], T]) -> tuple[float, T]:
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    assert result is not None or repeat > 0
    return best * 1000, result  # type: ignore[return-value]


def _cells(finder: Callable[[Any], list[Any]], regions: list[Any]) -> list[Any]:
    return [finder(region.rules) for region in regions]


def _holds_words(box: tuple[float, ...], words: list[Any]) -> bool:
    inside = [w for w in words if box[0] <= (w[0] + w[2]) / 2 <= box[2]]
    return sum(1 for w in inside if box[1] <= (w[1] + w[3]) / 2 <= box[3]) >= 2


def _overlaps(first: tuple[float, ...], second: tuple[float, ...]) -> bool:
    return (
        first[0] < second[2]
        and second[0] < first[2]
        and first[1] < second[3]
        and second[1] < first[3]
    )


def _count_ruling_segments(page: Any) -> int:
    """The previous gate: axis-aligned lines and rectangle edges from `get_drawings()`."""
    count = 0
    for path in page.get_drawings():
        for item in path.get("items", ()):
            if item[0] == "l":
                start, end = item[1], item[2]
                axis = abs(start.y - end.y) <= 1.0 or abs(start.x - end.x) <= 1.0
                count += 1 if axis else 0
            elif item[0] in ("re", "qu"):
                count += 4
    return count


def _before_extract(page: Any) -> int:
    """The previous extraction; returns how many tables it found."""
    if _count_ruling_segments(page) < 6:
        return 0
    found = page.find_tables(use_layout=False)
    if found is None or not found.tables:
        return 0
    page.get_text("words")
    for table in found.tables:
        _ = table.header.external
    return len(found.tables)


def _report(totals: _Totals) -> None:
    costs, counts = totals.costs, totals.counts
    rows = [("pages", str(totals.pages))]
    for key, label in STEPS.items():
        rows.append((f"{label}, ms/page", f"{statistics.fmean(costs[key] or [0.0]):.3f}"))
    rows += [
        ("gate after/before", _ratio(costs["gate_after"], costs["gate_before"])),
        ("whole step after/before", _ratio(costs["total_after"], costs["total_before"])),
        ("whole step alone after/before", _ratio(costs["alone_after"], costs["total_before"])),
        (
            "worst page before / after, ms",
            f"{max(costs['total_before'], default=0):.1f} / "
            f"{max(costs['total_after'], default=0):.1f}",
        ),
        ("pages passing the gate before / after", _pair(counts, "passed")),
        (
            "after: pages with a ruled region holding text",
            str(counts.get("texty_after", 0)),
        ),
        ("pages with tables before / after", _pair(counts, "table_pages")),
        ("tables before / after", _pair(counts, "tables")),
        ("after: borderless tables (outside ruled regions)", str(counts.get("borderless", 0))),
        ("after: tables with merged cells", str(counts.get("spanning", 0))),
        ("after: tables with header rows", str(counts.get("headed", 0))),
        (
            "after: tables not a partition of their grid, without / with table_partition",
            _pair(counts, "irregular"),
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def _ratio(after: list[float], before: list[float]) -> str:
    return f"{sum(after) / sum(before):.2f}" if sum(before) else "n/a"


def _pair(counts: dict[str, int], key: str) -> str:
    return f"{counts.get(key + '_before', 0)} / {counts.get(key + '_after', 0)}"


if __name__ == "__main__":
    sys.exit(main())
