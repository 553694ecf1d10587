"""Client-side CPU cost per page of rendering and encoding at each visual token budget.

Run on demand from the repository root (not a test; about two minutes at the defaults):

    .venv/bin/python bench/render_cost.py [CORPUS] [--pages-per-pdf 3] [--repeat 3]
        [--out figures.json]

A sample of the corpus's PDF pages (the first `--pages-per-pdf` pages of every readable PDF
under CORPUS/pdf, default /work/shared/corpus) is rendered with
`pipeline.model.render.render_pdf_page`
at every budget (70..1120), encoded as JPEG (the default, quality 85) and as PNG (level 6) for
comparison. The function's own timings split the cost into render (MuPDF rasterisation at the
target size + Pillow import of the samples) and encode (Pillow encode + base64 data URL).

Baselines measured in the same run: the 280 budget (Gemma 4's default) and PyMuPDF plain text
extraction (`page.get_text()`) of the same pages. Each figure is the minimum of `--repeat` runs
of a page, with MuPDF's resource store emptied before every run so that each one pays for
decoding fonts and images as the pipeline does when it renders a page once (`--warm` keeps the
store, as for later pages of a document sharing its fonts). Progress on stderr.
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf

from pipeline.errors import PipelineError
from pipeline.model.render import EncodeOptions, ImageFormat, RenderedImage, render_pdf_page
from pipeline.sources.pdf import open_pdf
from schemas.budget import VISUAL_BUDGETS, VisualBudget

DEFAULT_CORPUS = Path("/work/shared/corpus")
BASELINE_BUDGET: VisualBudget = 280
FORMATS: tuple[ImageFormat, ...] = ("jpeg", "png")
_STARTED = time.monotonic()


@dataclass
class PageCost:
    """Best-of-repeat milliseconds (and bytes) of one page at every budget and format."""

    path: str
    page: int
    scanned: bool
    text_ms: float
    render_ms: dict[int, float] = field(default_factory=dict)
    encode_ms: dict[str, dict[int, float]] = field(default_factory=dict)
    encoded_kib: dict[str, dict[int, float]] = field(default_factory=dict)
    size: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """Means over a set of pages for one budget (milliseconds, KiB)."""

    budget: int
    kilopixels: float
    render_ms: float
    jpeg_ms: float
    png_ms: float
    jpeg_kib: float
    png_kib: float

    @property
    def jpeg_total_ms(self) -> float:
        return self.render_ms + self.jpeg_ms

    @property
    def png_total_ms(self) -> float:
        return self.render_ms + self.png_ms


def progress(message: str) -> None:
    """One timestamped line on stderr."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Runs:
    """How each page is measured: best of `repeat`, cold (MuPDF's store emptied) unless `warm`."""

    repeat: int
    warm: bool

    def prepare(self) -> None:
        """Empty MuPDF's store (decoded fonts, images) so the next call decodes them again."""
        if not self.warm:
            pymupdf.TOOLS.store_shrink(100)

    def best(self, action: Callable[[], float]) -> float:
        """The smallest of `repeat` measurements (seconds)."""
        times = []
        for _ in range(self.repeat):
            self.prepare()
            times.append(action())
        return min(times)


def sample_pages(corpus: Path, per_pdf: int, skipped: list[str]) -> Iterator[tuple[str, Path, int]]:
    """(label, path, page index) of the first `per_pdf` pages of every readable PDF."""
    for path in sorted((corpus / "pdf").rglob("*.pdf")):
        label = str(path.relative_to(corpus))
        try:
            document = open_pdf(path)
        except PipelineError as exc:
            skipped.append(f"{label}: {exc.message[:80]}")
            continue
        count = document.page_count
        document.close()
        for index in range(min(per_pdf, count)):
            yield label, path, index


def _timed_text(page: pymupdf.Page) -> float:
    started = time.perf_counter()
    page.get_text()
    return time.perf_counter() - started


def _rendered(
    page: pymupdf.Page, budget: VisualBudget, image_format: ImageFormat, how: Runs
) -> RenderedImage:
    how.prepare()
    return render_pdf_page(page, budget, EncodeOptions(image_format=image_format))


def measure_page(label: str, page: pymupdf.Page, how: Runs) -> PageCost:
    """Text extraction, then render + encode at every budget in both formats."""
    scanned = not page.get_fonts() or not page.get_text().strip()
    cost = PageCost(label, page.number + 1, scanned, 1000 * how.best(lambda: _timed_text(page)))
    for budget in VISUAL_BUDGETS:
        renders: list[float] = []
        for image_format in FORMATS:
            runs = [_rendered(page, budget, image_format, how) for _ in range(how.repeat)]
            renders += [run.render_seconds for run in runs]
            cost.encode_ms.setdefault(image_format, {})[budget] = 1000 * min(
                run.encode_seconds for run in runs
            )
            cost.encoded_kib.setdefault(image_format, {})[budget] = runs[0].encoded_bytes / 1024
            cost.size[budget] = (runs[0].width, runs[0].height)
        cost.render_ms[budget] = 1000 * min(renders)
    return cost


def measure(corpus: Path, per_pdf: int, how: Runs, skipped: list[str]) -> list[PageCost]:
    """Every sampled page's costs; a page that fails to render is skipped and noted."""
    costs: list[PageCost] = []
    for label, path, index in sample_pages(corpus, per_pdf, skipped):
        progress(f"{label} page {index + 1}")
        document = open_pdf(path)
        try:
            costs.append(measure_page(label, document.load_page(index), how))
        except (RuntimeError, ValueError) as exc:
            skipped.append(f"{label} page {index + 1}: {str(exc)[:80]}")
        finally:
            document.close()
    return costs


# --- report -------------------------------------------------------------------------------------


def rows(costs: list[PageCost]) -> list[Row]:
    """Mean costs per budget over `costs`."""

    def mean(values: Iterator[float]) -> float:
        return statistics.fmean(values)

    result = []
    for budget in VISUAL_BUDGETS:
        result.append(
            Row(
                budget=budget,
                kilopixels=mean(c.size[budget][0] * c.size[budget][1] / 1000 for c in costs),
                render_ms=mean(c.render_ms[budget] for c in costs),
                jpeg_ms=mean(c.encode_ms["jpeg"][budget] for c in costs),
                png_ms=mean(c.encode_ms["png"][budget] for c in costs),
                jpeg_kib=mean(c.encoded_kib["jpeg"][budget] for c in costs),
                png_kib=mean(c.encoded_kib["png"][budget] for c in costs),
            )
        )
    return result


def print_table(title: str, costs: list[PageCost]) -> None:
    """One table: a line per budget, ratios to 280 and to text extraction."""
    text_ms = statistics.fmean(cost.text_ms for cost in costs)
    table = rows(costs)
    base = next(row for row in table if row.budget == BASELINE_BUDGET)
    print(f"{title}: {len(costs)} pages; PyMuPDF get_text() {text_ms:.2f} ms/page")
    print(
        "  budget    kpx   render  +JPEG  =total  x280  xtext  KiB  |  +PNG  =total  x280"
        "  xtext   KiB"
    )
    for row in table:
        print(
            f"  {row.budget:>6}  {row.kilopixels:5.0f}  {row.render_ms:6.1f} {row.jpeg_ms:6.1f} "
            f"{row.jpeg_total_ms:7.1f} {row.jpeg_total_ms / base.jpeg_total_ms:5.2f} "
            f"{row.jpeg_total_ms / text_ms:6.1f} {row.jpeg_kib:5.0f}  | {row.png_ms:6.1f} "
            f"{row.png_total_ms:7.1f} {row.png_total_ms / base.png_total_ms:5.2f} "
            f"{row.png_total_ms / text_ms:6.1f} {row.png_kib:5.0f}"
        )


def print_report(costs: list[PageCost], skipped: list[str], how: Runs) -> None:
    """All pages, then native and scanned pages apart."""
    runs = "warm" if how.warm else "cold"
    print(
        f"Client-side CPU per page: render_pdf_page at each budget, ms/page (mean over pages of "
        f"the best of {how.repeat} {runs} runs); kpx = mean kilopixels rendered; x280 = ratio to "
        f"the same column at 280, xtext = ratio to PyMuPDF plain text extraction of the same pages"
    )
    print_table("All sampled pages", costs)
    native = [cost for cost in costs if not cost.scanned]
    scanned = [cost for cost in costs if cost.scanned]
    for title, group in (("Native pages (text layer)", native), ("Scanned pages", scanned)):
        if group:
            print_table(title, group)
    for entry in skipped:
        print(f"SKIPPED {entry}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path, nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--pages-per-pdf", type=int, default=3, help="first N pages of each PDF")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per measurement (best)")
    parser.add_argument(
        "--warm", action="store_true", help="keep MuPDF's store (fonts, images) between runs"
    )
    parser.add_argument("--out", type=Path, help="also write every page's costs as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Measure the sample and print the tables."""
    arguments = _parser().parse_args(argv)
    how = Runs(arguments.repeat, arguments.warm)
    skipped: list[str] = []
    costs = measure(arguments.corpus, arguments.pages_per_pdf, how, skipped)
    print_report(costs, skipped, how)
    if arguments.out:
        payload: dict[str, Any] = {
            "config": vars(arguments)
            | {"corpus": str(arguments.corpus), "out": str(arguments.out)},
            "pages": [asdict(cost) for cost in costs],
            "skipped": skipped,
        }
        arguments.out.write_text(json.dumps(payload, indent=2) + "\n")
    progress("finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
