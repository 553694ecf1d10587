"""Ingest throughput on real pages: the corpus PDFs' text-layer pages, as ratios to a raw
PyMuPDF `page.get_text()` loop over the same pages, measured in the same run.

Run on demand from the repository root (not a test; a few minutes):

    .venv/bin/python bench/corpus_throughput.py --corpus CORPUS [--skip-distributed]
        [--repeat N] [--out figures.json]

The pages are those of CORPUS/pdf/**.pdf that the chunker gives a text layer (MuPDF-read,
not repaired by PDFium): each document's text-layer pages are copied into a PDF of their own
in a scratch folder (not timed), so every figure covers exactly the same pages and no OCR.
Progress goes to stderr; the table to stdout.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()  # a script's entry: before PyMuPDF is imported below

import pymupdf  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import text  # noqa: E402

from pipeline.chunking.documents import chunk_file  # noqa: E402
from pipeline.engines.base import ChunkJob  # noqa: E402
from pipeline.engines.local_pages import LocalPdfPageEngine  # noqa: E402
from pipeline.engines.resources import EngineResources  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from schemas.chunks import ChunkDescriptor  # noqa: E402
from schemas.enums import TERMINAL_DOCUMENT_STATUSES, MediaType, Tier  # noqa: E402
from schemas.settings import Settings  # noqa: E402
from storage.database import make_engine  # noqa: E402
from storage.migrate import upgrade_to_head  # noqa: E402
from tests.support.services import create_database, drop_database, postgres_server, redis_server  # noqa: E402
from tests.support.workers import celery_worker, worker_environment  # noqa: E402
from workers.embedded_pool import PAGES_PER_PROCESS, PAGES_PER_THREAD  # noqa: E402

GREENHOUSE = Path(sys.executable).parent / "greenhouse"
BROKER_DB = 13
RUN_TIMEOUT_SECONDS = 1800.0
POLL_SECONDS = 0.05
_STARTED = time.monotonic()


class BenchError(RuntimeError):
    """A run did not end with every page done."""


@dataclass
class Figure:
    """One timed pass over `pages` pages."""

    label: str
    pages: int
    seconds: float
    notes: dict[str, float | str] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


@dataclass(frozen=True)
class PageSet:
    """The text-layer pages, one PDF per source document, and their chunks."""

    folder: Path
    chunks: dict[Path, list[ChunkDescriptor]]

    @property
    def pages(self) -> int:
        return sum(len(chunks) for chunks in self.chunks.values())


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- the pages --------------------------------------------------------------------------------


def text_layer_pages(corpus: Path, folder: Path) -> PageSet:
    """Copy each corpus PDF's text-layer pages into `folder` (one PDF each); the copies are
    chunked again and must keep their text layer."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted((corpus / "pdf").rglob("*.pdf")):
        try:
            chunks = list(chunk_file(source, MediaType.PDF))
        except PipelineError as error:
            progress(f"  skipped {source.name}: {error.category}")
            continue
        keep = [c.page_number - 1 for c in chunks if _text_page(c) and c.page_number]
        if not keep:
            continue
        target = folder / f"{source.parent.name}--{source.stem}.pdf"
        try:
            _copy_pages(source, keep, target)
        except Exception as error:  # a damaged file MuPDF reads but cannot rewrite
            progress(f"  skipped {source.name}: its pages cannot be copied ({error})")
    copies: dict[Path, list[ChunkDescriptor]] = {}
    for path in sorted(folder.glob("*.pdf")):
        chunks = list(chunk_file(path, MediaType.PDF))
        lost = [c.page_number for c in chunks if not _text_page(c)]
        if lost:
            progress(f"  {path.name}: pages {lost} lost their text layer in the copy; dropped")
            path.unlink()
            continue
        copies[path] = chunks
    return PageSet(folder, copies)


def _copy_pages(source: Path, pages: list[int], target: Path) -> None:
    """Write `pages` (0-based) of `source` to `target`: the pages selected in place, or, when
    the file's structure refuses that (a cycle in its outline), inserted into a new PDF."""
    with pymupdf.open(source) as document:
        try:
            document.select(pages)
        except Exception:
            copy = pymupdf.open()
            for index in pages:
                copy.insert_pdf(document, from_page=index, to_page=index, links=False)
            copy.save(target, garbage=3, deflate=True)
            copy.close()
            return
        document.save(target, garbage=3, deflate=True)


def _text_page(chunk: ChunkDescriptor) -> bool:
    return bool(chunk.has_text_layer) and chunk.parser != "pdfium"


# --- in-process loops -------------------------------------------------------------------------


def _timed(label: str, pages: int, body: Callable[[], None]) -> Figure:
    wall, cpu = time.perf_counter(), time.process_time()
    body()
    return Figure(label, pages, time.perf_counter() - wall, {"cpu_s": time.process_time() - cpu})


def raw_loop(pages: PageSet) -> Figure:
    """The baseline: `page.get_text()` on every page."""

    def body() -> None:
        for path in pages.chunks:
            with pymupdf.open(path) as document:
                for page in document:
                    page.get_text()

    return _timed("raw PyMuPDF get_text() loop", pages.pages, body)


RAW_PASSES = 5
"""Passes of the raw loop at the start of the run and again at its end. One pass lasts about
a quarter of a second, so a single one moved every ratio by a third on a shared machine."""


def median_run(runs: list[Figure], count: str = "runs") -> Figure:
    """The median of several runs of one figure, noting how many and their spread."""
    ordered = sorted(runs, key=lambda figure: figure.seconds)
    median = ordered[len(ordered) // 2]
    if len(ordered) == 1:
        return median
    notes: dict[str, float | str] = {
        **median.notes,
        count: f"{len(ordered)}, {ordered[0].seconds:.2f}-{ordered[-1].seconds:.2f} s",
    }
    return Figure(median.label, median.pages, median.seconds, notes)


def raw_baseline(passes: list[Figure]) -> Figure:
    """The median pass of the raw loop, noting the spread of all passes."""
    median = median_run(passes, "passes")
    return Figure(median.label + " (median pass)", median.pages, median.seconds, median.notes)


def engine_loop(pages: PageSet) -> Figure:
    """`LocalPdfPageEngine.extract` per page, one `EngineResources` (its PDF cache) for all."""
    engine = LocalPdfPageEngine()
    resources = EngineResources()

    def body() -> None:
        for path, chunks in pages.chunks.items():
            for chunk in chunks:
                engine.extract(ChunkJob(path, chunk, Tier.LOCAL), resources)

    try:
        return _timed("local engine, plain loop", pages.pages, body)
    finally:
        resources.close()


def pdfminer_loop(pages: PageSet) -> Figure:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LTTextContainer

    def body() -> None:
        for path in pages.chunks:
            for layout in extract_pages(path):
                for element in layout:
                    if isinstance(element, LTTextContainer):
                        element.get_text()

    return _timed("pdfminer.six (peer)", pages.pages, body)


def pypdfium2_loop(pages: PageSet) -> Figure:
    import pypdfium2  # type: ignore[import-untyped]

    def body() -> None:
        for path in pages.chunks:
            document = pypdfium2.PdfDocument(path)
            try:
                for index in range(len(document)):
                    page = document[index]
                    textpage = page.get_textpage()
                    textpage.get_text_range()
                    textpage.close()
                    page.close()
            finally:
                document.close()

    return _timed("pypdfium2 (peer)", pages.pages, body)


def pdftotext_loop(pages: PageSet) -> Figure | str:
    tool = shutil.which("pdftotext")
    if tool is None:
        return "pdftotext (peer): not installed (poppler-utils)"
    wall = time.perf_counter()
    children = _children_cpu()
    for path in pages.chunks:
        subprocess.run([tool, "-q", str(path), "-"], capture_output=True, check=True)
    notes: dict[str, float | str] = {"cpu_s": _children_cpu() - children}
    return Figure(
        "pdftotext (peer, a process per PDF)", pages.pages, time.perf_counter() - wall, notes
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- greenhouse ingest ------------------------------------------------------------------------


def _ingest(target: Path, settings: Settings, cwd: Path, *extra: str) -> list[dict[str, Any]]:
    completed = subprocess.run(
        [str(GREENHOUSE), "ingest", str(target), "--json", *extra],
        env=worker_environment(settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    reports = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    if not reports:
        raise BenchError(f"no reports (exit {completed.returncode}):\n{completed.stderr[-3000:]}")
    return reports


def _sqlite_settings(root: Path) -> Settings:
    run = Path(tempfile.mkdtemp(dir=root, prefix="embedded-"))
    return Settings(
        database_url=f"sqlite:///{run / 'g.db'}", broker_url=None, blob_root=str(run / "blobs")
    )


def embedded_run(pages: PageSet, root: Path, processes: int) -> Figure:
    """`greenhouse ingest FOLDER --json --processes N` on a fresh SQLite, process start to exit."""
    settings = _sqlite_settings(root)
    wall, cpu = time.perf_counter(), _children_cpu()
    reports = _ingest(pages.folder, settings, root, "--processes", str(processes))
    seconds = time.perf_counter() - wall
    _check_done(reports, pages.pages)
    label = f"embedded, --processes {processes}"
    return Figure(label, pages.pages, seconds, {"cpu_s": _children_cpu() - cpu})


def _check_done(reports: list[dict[str, Any]], pages: int) -> None:
    succeeded = sum(int(report["jobs"]["succeeded"]) for report in reports)
    statuses = {report["status"] for report in reports}
    if statuses != {"done"} or succeeded != pages:
        raise BenchError(f"documents ended {statuses} with {succeeded}/{pages} pages")


def after_startup(figures: list[Figure], start_wall: float) -> list[Figure]:
    """The embedded runs without what a one-page ingest costs (start-up, migrations, the
    first child): the rate a longer batch approaches."""
    derived = []
    for figure in figures:
        if figure.label.startswith("embedded") and figure.seconds > start_wall:
            label = f"{figure.label}, after start-up"
            derived.append(Figure(label, figure.pages, figure.seconds - start_wall))
    return derived


def one_page_startup(pages: PageSet, root: Path, raw: Figure) -> tuple[float, list[str]]:
    """Wall of `greenhouse ingest one-page.pdf` against the raw loop's time for that page,
    and the CPU of the imports of each process kind."""
    first = next(iter(pages.chunks))
    one = root / "one-page.pdf"
    with pymupdf.open(first) as document:
        document.select([0])
        document.save(one)
    with pymupdf.open(one) as document:
        raw_started = time.perf_counter()
        document[0].get_text()
        raw_page = time.perf_counter() - raw_started
    walls = []
    for _ in range(3):
        settings = _sqlite_settings(root)
        started = time.perf_counter()
        _check_done(_ingest(one, settings, root), 1)
        walls.append(time.perf_counter() - started)
    wall = statistics.median(walls)
    per_page = raw.seconds / raw.pages
    lines = [
        f"  one-page ingest: {wall:.2f} s wall (median of 3) = {wall / raw_page:,.0f} x the raw "
        f"loop's time for that page ({raw_page * 1000:.1f} ms; its mean page "
        f"{per_page * 1000:.1f} ms)",
    ]
    for label, code in IMPORT_PROBES.items():
        lines.append(f"  CPU of {label}: {_probe_cpu(code):.2f} s")
    lines.append(f"  a child forked by the zygote, until ready: {_fork_ready() * 1000:.0f} ms wall")
    return wall, lines


IMPORT_PROBES = {
    "a bare interpreter (python -c pass)": "pass",
    "the CLI process's imports (greenhouse ingest, embedded)": (
        "from pipeline.sources.mupdf import prepare_mupdf; prepare_mupdf(); "
        "import cli.main, cli.ingest"
    ),
    "the zygote's preload (once per worker process)": (
        "from workers.isolation.zygote import _preload; _preload()"
    ),
    "a long-lived worker's zygote preload (with RapidOCR's module)": (
        "from workers.isolation.zygote import OCR_MODULES, _preload; _preload(OCR_MODULES)"
    ),
    "a spawned pool process's set-up (isolation off)": (
        "import tempfile; from schemas.settings import Settings; "
        "from workers.pool_process import initialise; "
        "initialise(Settings(database_url='sqlite:///' + tempfile.mktemp()).model_dump_json())"
    ),
}


def _probe_cpu(code: str) -> float:
    """User + system CPU of a fresh interpreter running `code` (median of 3)."""
    samples = []
    for _ in range(3):
        before = _children_cpu()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
        samples.append(_children_cpu() - before)
    return statistics.median(samples)


def _fork_ready() -> float:
    """Median wall time from asking the zygote for a child to the child's READY."""
    import socket
    from multiprocessing.connection import Connection

    from workers.isolation.messages import READY
    from workers.isolation.zygote import Zygote

    zygote = Zygote()
    zygote.wait_ready(120)
    settings_json = Settings().model_dump_json()
    samples = []
    try:
        for _ in range(5):
            started = time.perf_counter()
            ours, theirs = socket.socketpair()
            with theirs:
                child = zygote.fork(theirs, 60)
            connection = Connection(ours.detach())
            connection.send(settings_json)
            if connection.recv() != READY:
                raise BenchError("a forked child did not start")
            samples.append(time.perf_counter() - started)
            connection.close()
            child.wait(10)
    finally:
        zygote.close()
    return statistics.median(samples)


# --- distributed ------------------------------------------------------------------------------


@contextmanager
def fresh_settings(postgres_url: str, redis_url: str, root: Path) -> Iterator[Settings]:
    """A new migrated PostgreSQL database and a flushed Redis db, dropped afterwards."""
    name = f"greenhouse_bench_{uuid.uuid4().hex[:10]}"
    database_url = create_database(postgres_url, name)
    broker_url = f"{redis_url}/{BROKER_DB}"
    try:
        engine = make_engine(database_url)
        upgrade_to_head(engine)
        engine.dispose()
        redis.Redis.from_url(broker_url).flushdb()
        blobs = Path(tempfile.mkdtemp(dir=root, prefix="blobs-"))
        yield Settings(database_url=database_url, broker_url=broker_url, blob_root=str(blobs))
    finally:
        drop_database(postgres_url, name)
        redis.Redis.from_url(broker_url).flushdb()


def distributed_run(pages: PageSet, servers: tuple[str, str], root: Path, workers: int) -> Figure:
    """A ready `celery worker --concurrency C` (not timed); from `greenhouse ingest FOLDER`
    (broker set) until every document is terminal."""
    with (
        fresh_settings(*servers, root) as settings,
        celery_worker(settings, root, concurrency=workers) as worker,
    ):
        engine = make_engine(settings.database_url)
        try:
            started = time.perf_counter()
            reports = _ingest(pages.folder, settings, root)
            ids = [report["id"] for report in reports]
            _wait_terminal(engine, ids)
            seconds = time.perf_counter() - started
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT status, jobs_succeeded FROM documents WHERE id = ANY(:ids)"),
                    {"ids": ids},
                ).all()
        finally:
            engine.dispose()
        done = [{"status": status, "jobs": {"succeeded": count or 0}} for status, count in rows]
        try:
            _check_done(done, pages.pages)
        except BenchError as exc:
            raise BenchError(f"{exc}\n{worker.log()[-3000:]}") from exc
    label = f"distributed, {workers} worker process{'es' if workers > 1 else ''}"
    return Figure(label, pages.pages, seconds)


def _wait_terminal(engine: Any, ids: list[str]) -> None:
    query = text("SELECT count(*) FROM documents WHERE id = ANY(:ids) AND status = ANY(:done)")
    terminal = [str(status) for status in TERMINAL_DOCUMENT_STATUSES]
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(query, {"ids": ids, "done": terminal}).scalar_one() == len(ids):
                return
        time.sleep(POLL_SECONDS)
    raise BenchError(f"documents not finished after {RUN_TIMEOUT_SECONDS} s")


# --- report -----------------------------------------------------------------------------------


def report(raw: Figure, figures: list[Figure], notes: list[str], header: list[str]) -> list[str]:
    lines = [*header]
    width = max(len(figure.label) for figure in [raw, *figures])
    for figure in [raw, *figures]:
        extra = "".join(
            f", {key} {value:.2f}" if isinstance(value, float) else f", {key} {value}"
            for key, value in figure.notes.items()
        )
        lines.append(
            f"  {figure.label:<{width}} {figure.rate:8.1f} pages/s = {figure.rate / raw.rate:6.3f}"
            f" x raw  ({figure.pages} pages in {figure.seconds:.2f} s{extra})"
        )
    by_label = {figure.label: figure for figure in figures}
    ratios = [
        ("scaling 1 -> 2, embedded", "embedded, --processes 2", "embedded, --processes 1"),
        (
            "scaling 1 -> 2, embedded after start-up",
            "embedded, --processes 2, after start-up",
            "embedded, --processes 1, after start-up",
        ),
        (
            "scaling 1 -> 2, distributed",
            "distributed, 2 worker processes",
            "distributed, 1 worker process",
        ),
        (
            "distributed vs embedded, 1 process",
            "distributed, 1 worker process",
            "embedded, --processes 1",
        ),
        (
            "distributed vs embedded, 2 processes",
            "distributed, 2 worker processes",
            "embedded, --processes 2",
        ),
    ]
    for name, top, bottom in ratios:
        if top in by_label and bottom in by_label:
            lines.append(f"  {name}: {by_label[top].rate / by_label[bottom].rate:.2f} x")
    return lines + notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, required=True, help="the corpus folder (has pdf/)")
    parser.add_argument("--skip-distributed", action="store_true")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each embedded and distributed figure (median)",
    )
    parser.add_argument("--out", type=Path, help="also write the table to this file")
    arguments = parser.parse_args(argv)
    load = os.getloadavg()[0]
    failures: list[str] = []
    figures: list[Figure] = []
    notes: list[str] = []

    def attempt(label: str, action: Callable[[], Any]) -> Any:
        progress(label)
        try:
            return action()
        except Exception as exc:
            progress(f"FAILED {label}: {exc}")
            failures.append(f"FAILED {label}: {type(exc).__name__}: {str(exc)[:500]}")
            return None

    pymupdf.TOOLS.mupdf_display_errors(False)  # damaged corpus files: keep the table readable
    with tempfile.TemporaryDirectory(prefix="greenhouse-corpus-bench-") as scratch:
        root = Path(scratch)
        progress("copying the text-layer pages")
        pages = text_layer_pages(arguments.corpus, root / "pages")
        if not pages.pages:
            parser.error(f"no text-layer pages in {arguments.corpus / 'pdf'}")
        progress(f"  {pages.pages} pages in {len(pages.chunks)} PDFs")
        raw_loop(pages)  # warm the page cache and PyMuPDF's fonts outside the clock
        raw_passes = [raw_loop(pages) for _ in range(RAW_PASSES)]
        raw = raw_baseline(raw_passes)  # provisional, for the start-up figure below
        for label, action in [
            ("local engine loop", lambda: engine_loop(pages)),
            ("pdfminer.six", lambda: pdfminer_loop(pages)),
            ("pypdfium2", lambda: pypdfium2_loop(pages)),
        ]:
            figure = attempt(label, action)
            if figure is not None:
                figures.append(figure)
        poppler = attempt("pdftotext", lambda: pdftotext_loop(pages))
        if isinstance(poppler, Figure):
            figures.append(poppler)
        elif poppler is not None:
            notes.append(f"  {poppler}")
        runs: dict[str, list[Figure]] = {}  # 1 and 2 processes taking turns, `--repeat` times

        def keep(figure: Figure | None) -> None:
            if figure is not None:
                runs.setdefault(figure.label, []).append(figure)

        for turn in range(arguments.repeat):
            for processes in (1, 2):
                keep(
                    attempt(
                        f"embedded --processes {processes} ({turn + 1}/{arguments.repeat})",
                        partial(embedded_run, pages, root, processes),
                    )
                )
        if not arguments.skip_distributed:
            with postgres_server() as postgres_url, redis_server() as redis_url:
                for turn in range(arguments.repeat):
                    for workers in (1, 2):
                        keep(
                            attempt(
                                f"distributed, {workers} worker processes "
                                f"({turn + 1}/{arguments.repeat})",
                                partial(
                                    distributed_run, pages, (postgres_url, redis_url), root, workers
                                ),
                            )
                        )
        figures += [median_run(figure_runs) for figure_runs in runs.values()]
        startup = attempt("one-page start-up", lambda: one_page_startup(pages, root, raw))
        if startup:
            start_wall, startup_lines = startup
            notes += ["Start-up:", *startup_lines]
            figures += after_startup(figures, start_wall)
        raw_passes += [raw_loop(pages) for _ in range(RAW_PASSES)]
        raw = raw_baseline(raw_passes)
    settings = Settings()
    header = [
        f"Greenhouse on the corpus: {pages.pages} text-layer pages of {len(pages.chunks)} PDFs "
        "(each PDF's text-layer pages copied into one PDF, untimed)",
        f"  {os.cpu_count()} cores, load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at "
        f"end; PyMuPDF {pymupdf.__version__}; local run size {settings.local_run_pages} pages "
        f"(GREENHOUSE_LOCAL_RUN_PAGES); embedded pool: an isolated child per {PAGES_PER_THREAD} "
        f"jobs, driven by one thread more, a process per {PAGES_PER_PROCESS} (isolation off)",
        "  (wall clock; embedded includes `greenhouse` start-up, and `after start-up` takes a "
        "one-page ingest's wall off it; distributed runs from submission until every document "
        f"is terminal, worker start excluded; the raw loop is the median of {2 * RAW_PASSES} "
        "passes, half at the start and half at the end)",
    ]
    lines = report(raw, figures, notes, header) + failures
    print("\n".join(lines))
    if arguments.out:
        arguments.out.write_text("\n".join(lines) + "\n")
    progress(f"finished in {time.monotonic() - _STARTED:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
