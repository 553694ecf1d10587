"""Per-page cost of running jobs in isolated children instead of in the worker process.

Run on demand from the repository root (not a test):

    .venv/bin/python bench/isolation_cost.py [CORPUS] [--pages 20] [--corpus-pages 40]
        [--repeat 3] [--out figures.json]

Pages: generated native-text pages (`tests.support.documents.make_text_pdf`), generated
scanned pages (those pages rendered at 150 dpi and stored as images only: OCR), and, when
CORPUS/pdf exists (default /work/shared/corpus), up to `--corpus-pages` pages from its PDFs,
classed native or scanned by the chunker's `has_text_layer`. Each page runs as a `local` job
through `workers.isolation.runners.InProcessRunner` (the baseline) and through a warm
`IsolationPool` (one child, reused), alternately, `--repeat` times; the figure is the ratio of
the total isolated time to the total in-process time for the same pages in the same run, and
the added milliseconds per page. Both runners are warmed (models loaded) before timing; the
child's cold start is reported apart. Progress on stderr.
"""

import argparse
import contextlib
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()

import pymupdf  # noqa: E402

from pipeline.engines.base import ChunkJob  # noqa: E402
from pipeline.engines.catalog import default_registry  # noqa: E402
from pipeline.engines.resources import EngineResources  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest  # noqa: E402
from schemas.chunks import ChunkDescriptor  # noqa: E402
from schemas.enums import Tier  # noqa: E402
from schemas.settings import Settings  # noqa: E402
from tests.support.documents import make_text_pdf  # noqa: E402
from workers.isolation.messages import PlanRequest  # noqa: E402
from workers.isolation.pool import IsolationPool  # noqa: E402
from workers.isolation.runners import ChunkRunner, InProcessRunner  # noqa: E402
from workers.isolation.work import plan_document  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")
NO_TIERS = ConfiguredTiers(moe=False, edge=False)


@dataclass
class ClassFigures:
    """The totals of one class of pages."""

    name: str
    pages: int
    in_process_ms: float
    isolated_ms: float

    @property
    def ratio(self) -> float:
        return self.isolated_ms / self.in_process_ms if self.in_process_ms else float("nan")

    @property
    def added_ms_per_page(self) -> float:
        return (self.isolated_ms - self.in_process_ms) / self.pages if self.pages else 0.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _scanned_copy(source: Path, target: Path) -> None:
    with pymupdf.open(source) as text_pdf, pymupdf.open() as scanned:
        for page in text_pdf:
            picture = page.get_pixmap(dpi=150)
            new_page = scanned.new_page(width=page.rect.width, height=page.rect.height)
            new_page.insert_image(new_page.rect, pixmap=picture)
        scanned.save(target)


def _chunks(path: Path, limit: int) -> list[ChunkDescriptor]:
    try:
        plan = plan_document(PlanRequest(path, RoutingRequest(), None, NO_TIERS))
    except PipelineError:
        return []
    return [job.chunk for job in plan.plans[:limit]]


def _corpus_pages(corpus: Path, limit: int) -> list[tuple[Path, ChunkDescriptor]]:
    pages: list[tuple[Path, ChunkDescriptor]] = []
    for path in sorted((corpus / "pdf").rglob("*.pdf")):
        if len(pages) >= limit:
            break
        pages += [(path, chunk) for chunk in _chunks(path, 3)]
    return pages[:limit]


def _time(runner: ChunkRunner, job: ChunkJob) -> float:
    started = time.perf_counter()
    with contextlib.suppress(PipelineError):  # a failing page costs its time all the same
        runner.run_chunk(job)
    return (time.perf_counter() - started) * 1000


def _measure(
    name: str,
    pages: list[tuple[Path, ChunkDescriptor]],
    runners: tuple[ChunkRunner, ChunkRunner],
    repeat: int,
) -> ClassFigures:
    in_process, isolated = runners
    totals = [0.0, 0.0]
    for path, chunk in pages:
        job = ChunkJob(path=path, chunk=chunk, tier=Tier.LOCAL)
        for _ in range(repeat):
            totals[0] += _time(in_process, job)
            totals[1] += _time(isolated, job)
    figures = ClassFigures(name, len(pages) * repeat, totals[0], totals[1])
    _log(f"{name}: {len(pages)} pages x {repeat}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pages", type=int, default=20, help="generated pages of each kind")
    parser.add_argument("--corpus-pages", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="isolation-cost-"))
    native_pdf = workdir / "native.pdf"
    make_text_pdf(native_pdf, args.pages)
    scanned_pdf = workdir / "scanned.pdf"
    _scanned_copy(native_pdf, scanned_pdf)
    classes: dict[str, list[tuple[Path, ChunkDescriptor]]] = {
        "generated native": [(native_pdf, c) for c in _chunks(native_pdf, args.pages)],
        "generated scanned": [(scanned_pdf, c) for c in _chunks(scanned_pdf, args.pages)],
    }
    if (args.corpus / "pdf").is_dir():
        corpus = _corpus_pages(args.corpus, args.corpus_pages)
        classes["corpus native"] = [p for p in corpus if p[1].has_text_layer]
        classes["corpus scanned"] = [p for p in corpus if not p[1].has_text_layer]

    in_process = InProcessRunner(EngineResources(), default_registry())
    isolated = IsolationPool(Settings())
    started = time.perf_counter()
    warm_job = ChunkJob(path=scanned_pdf, chunk=classes["generated scanned"][0][1], tier=Tier.LOCAL)
    isolated.run_chunk(warm_job)  # starts the child and loads its OCR model
    cold_start_ms = (time.perf_counter() - started) * 1000
    in_process.run_chunk(warm_job)
    figures = [
        _measure(name, pages, (in_process, isolated), args.repeat)
        for name, pages in classes.items()
        if pages
    ]
    isolated.close()

    print(f"isolated child cold start + first scanned page: {cold_start_ms:.0f} ms")
    print(
        f"{'pages':<20}{'n':>6}{'in-process ms/page':>20}{'isolated ms/page':>18}"
        f"{'ratio':>8}{'added ms/page':>15}"
    )
    for each in figures:
        print(
            f"{each.name:<20}{each.pages:>6}{each.in_process_ms / each.pages:>20.1f}"
            f"{each.isolated_ms / each.pages:>18.1f}{each.ratio:>8.3f}"
            f"{each.added_ms_per_page:>15.2f}"
        )
    print(f"children started: {isolated.children_started}")
    if args.out:
        rows = [{**asdict(each), "ratio": each.ratio} for each in figures]
        args.out.write_text(json.dumps({"cold_start_ms": cold_start_ms, "classes": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
