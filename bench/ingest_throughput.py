"""Ingest throughput and worker memory, as ratios against baselines measured in the same run.

Run on demand from the repository root (not a test; takes ~10 minutes at the defaults):

    .venv/bin/python bench/ingest_throughput.py [--pages 500] [--rss-pages 2000]
        [--table-every 20] [--skip-distributed] [--skip-rss] [--out figures.json]

Baseline A is the pipeline's own PyMuPDF page extraction in a plain loop; every pipeline figure
is printed as a ratio to it (the pipeline's overhead). Baseline B is pdfminer.six, the library
of Unstructured's fast strategy. The distributed and memory runs need PostgreSQL and Redis
(found or started like the tests do, see tests/support/services.py). Progress goes to stderr.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf
import redis
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTTextContainer
from sqlalchemy import Engine, text

from pipeline.local.native_text import extract_native_page
from pipeline.sources.pdf import open_pdf
from schemas.enums import TERMINAL_DOCUMENT_STATUSES
from schemas.settings import Settings
from storage.database import make_engine
from storage.migrate import upgrade_to_head
from tests.support.documents import draw_table, make_text_pdf
from tests.support.services import create_database, drop_database, postgres_server, redis_server
from tests.support.workers import WorkerProcess, celery_worker, worker_environment

GREENHOUSE = Path(sys.executable).parent / "greenhouse"
BROKER_DB = 12
RSS_BASELINE_PAGES = 20
POLL_SECONDS = 0.1
SAMPLE_SECONDS = 0.1
RUN_TIMEOUT_SECONDS = 1800.0
MIB = 1024 * 1024
_STARTED = time.monotonic()

T = TypeVar("T")


class BenchError(RuntimeError):
    """A run did not end with every page done."""


@dataclass
class Throughput:
    """One timed run: `pages` pages in `seconds` of wall-clock time."""

    label: str
    pages: int
    seconds: float
    notes: dict[str, float] = field(default_factory=dict)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


@dataclass
class MemoryPeak:
    """Peak resident memory of a worker's process tree while it ingested one document."""

    pages: int
    main_mib: float
    child_mib: float
    children_seen: int


@dataclass
class Results:
    """What the run measured so far; a failed stage is noted and the others still run."""

    runs: list[Throughput] = field(default_factory=list)
    memory: list[MemoryPeak] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def attempt(self, label: str, action: Callable[[], T]) -> T | None:
        """Run one stage; on error log it, remember it and return None."""
        progress(label)
        try:
            return action()
        except Exception as exc:
            progress(f"FAILED {label}: {exc}")
            self.failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:300]}")
            return None


@dataclass(frozen=True)
class Servers:
    """The PostgreSQL server, the Redis server and the scratch folder of the distributed runs."""

    postgres_url: str
    redis_url: str
    root: Path


def progress(message: str) -> None:
    """One timestamped line on stderr."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# --- documents --------------------------------------------------------------------------------


def make_bench_pdf(path: Path, pages: int, table_every: int) -> set[int]:
    """Write a native-text PDF with a ruled table on every `table_every`-th page (0: none).

    Returns the 0-based indices of the table pages.
    """
    plain = path.with_suffix(".plain.pdf")
    make_text_pdf(plain, pages)
    table_pages = set(range(table_every - 1, pages, table_every)) if table_every > 0 else set()
    document = pymupdf.open(plain)
    for index in sorted(table_pages):
        draw_table(document[index], top=300)
    document.save(path, garbage=3, deflate=True)
    document.close()
    plain.unlink()
    return table_pages


# --- baselines --------------------------------------------------------------------------------


def plain_loop(pdf: Path, table_pages: set[int]) -> Throughput:
    """Baseline A: the pipeline's PyMuPDF extraction (`extract_native_page`) in a plain loop."""
    durations: list[float] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    document = open_pdf(pdf)
    try:
        for index in range(document.page_count):
            page_started = time.perf_counter()
            extract_native_page(document, index)
            durations.append(time.perf_counter() - page_started)
    finally:
        document.close()
    seconds = time.perf_counter() - started
    notes = {"cpu_s": time.process_time() - cpu_started, **_page_costs(durations, table_pages)}
    return Throughput("A plain loop (PyMuPDF)", len(durations), seconds, notes)


def _page_costs(durations: list[float], table_pages: set[int]) -> dict[str, float]:
    """Median milliseconds of a text-only page and of a table page, and the tables' time share."""
    tables = [d for i, d in enumerate(durations) if i in table_pages]
    texts = [d for i, d in enumerate(durations) if i not in table_pages]
    costs = {"text_page_ms": 1000 * statistics.median(texts) if texts else 0.0}
    if tables:
        costs["table_page_ms"] = 1000 * statistics.median(tables)
        costs["table_time_share"] = sum(tables) / sum(durations)
    return costs


def pdfminer_loop(pdf: Path) -> Throughput:
    """Baseline B: pdfminer.six layout analysis and text of every page, in this process."""
    started, cpu_started = time.perf_counter(), time.process_time()
    pages = characters = 0
    for layout in extract_pages(pdf):
        for element in layout:
            if isinstance(element, LTTextContainer):
                characters += len(element.get_text())
        pages += 1
    seconds = time.perf_counter() - started
    notes = {"cpu_s": time.process_time() - cpu_started, "characters": characters}
    return Throughput("B pdfminer.six", pages, seconds, notes)


# --- embedded ---------------------------------------------------------------------------------


def embedded_run(pdf: Path, pages: int, root: Path, processes: int | None) -> Throughput:
    """`greenhouse ingest FILE --json` without a broker, timed from process start to exit."""
    run_dir = Path(tempfile.mkdtemp(dir=root, prefix="embedded-"))
    settings = Settings(
        database_url=f"sqlite:///{run_dir / 'g.db'}",
        broker_url=None,
        blob_root=str(run_dir / "blobs"),
    )
    command = [str(GREENHOUSE), "ingest", str(pdf), "--json"]
    if processes is not None:
        command += ["--processes", str(processes)]
    started, cpu_started = time.perf_counter(), _children_cpu_seconds()
    completed = _run(command, settings, run_dir)
    seconds = time.perf_counter() - started
    cpu_seconds = _children_cpu_seconds() - cpu_started
    report = _ingest_report(completed)
    if completed.returncode != 0 or report.get("status") != "done":
        raise BenchError(f"embedded ingest did not finish:\n{completed.stdout}\n{completed.stderr}")
    count = processes or os.cpu_count() or 1
    label = f"embedded ({count} proc{'s' if count > 1 else ''})"
    return Throughput(label, pages, seconds, {"cpu_s": cpu_seconds})


def _children_cpu_seconds() -> float:
    """CPU time of this process's finished children (and the children they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], settings: Settings, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=worker_environment(settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def _ingest_report(completed: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON line `greenhouse ingest --json` printed for the (single) document."""
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(
            f"greenhouse ingest printed no report (exit {completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    report: dict[str, Any] = json.loads(lines[-1])
    return report


# --- distributed ------------------------------------------------------------------------------


@contextmanager
def fresh_settings(servers: Servers, broker_db: int = BROKER_DB) -> Iterator[Settings]:
    """A new migrated Postgres database and a flushed Redis db, both cleaned up afterwards."""
    name = f"greenhouse_bench_{uuid.uuid4().hex[:10]}"
    database_url = create_database(servers.postgres_url, name)
    broker_url = f"{servers.redis_url}/{broker_db}"
    try:
        engine = make_engine(database_url)
        upgrade_to_head(engine)
        engine.dispose()
        _flush(broker_url)
        blob_root = Path(tempfile.mkdtemp(dir=servers.root, prefix="blobs-"))
        yield Settings(database_url=database_url, broker_url=broker_url, blob_root=str(blob_root))
    finally:
        drop_database(servers.postgres_url, name)
        _flush(broker_url)


def _flush(broker_url: str) -> None:
    client = redis.Redis.from_url(broker_url)
    try:
        client.flushdb()
    finally:
        client.close()


@contextmanager
def running_worker(servers: Servers, concurrency: int) -> Iterator[tuple[Settings, WorkerProcess]]:
    """Fresh services and a ready `celery worker -Q ingest,local --concurrency C`."""
    with (
        fresh_settings(servers) as settings,
        celery_worker(settings, servers.root, concurrency=concurrency) as worker,
    ):
        yield settings, worker


def submit_and_wait(pdf: Path, pages: int, settings: Settings, label: str, cwd: Path) -> Throughput:
    """Submit with `greenhouse ingest FILE --json` (broker set), time until the document is done."""
    engine = make_engine(settings.database_url)
    try:
        started = time.perf_counter()
        completed = _run([str(GREENHOUSE), "ingest", str(pdf), "--json"], settings, cwd)
        submitted = time.perf_counter() - started
        report = _ingest_report(completed)  # exit status 1 is expected: we did not --wait
        status, succeeded = _wait_terminal(engine, report["id"])
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    if status != "done" or succeeded != pages:
        raise BenchError(f"{label}: document ended {status} with {succeeded}/{pages} pages")
    return Throughput(label, pages, seconds, {"submit_s": submitted})


def _wait_terminal(engine: Engine, document_id: str) -> tuple[str, int]:
    """Poll the documents table until the document is done, partial or failed."""
    query = text("SELECT status, jobs_succeeded FROM documents WHERE id = :id")
    deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            status, succeeded = connection.execute(query, {"id": document_id}).one()
        if status in TERMINAL_DOCUMENT_STATUSES:
            return str(status), int(succeeded or 0)
        time.sleep(POLL_SECONDS)
    raise BenchError(f"document {document_id} not finished after {RUN_TIMEOUT_SECONDS} s")


def distributed_run(pdf: Path, pages: int, servers: Servers, concurrency: int) -> Throughput:
    """Time one document through a fresh worker with `concurrency` pool processes."""
    label = f"distributed ({concurrency} worker proc{'s' if concurrency > 1 else ''})"
    with running_worker(servers, concurrency) as (settings, worker):
        try:
            return timed_on_worker(pdf, pages, settings, label, worker)
        except BenchError as exc:
            raise BenchError(f"{exc}\nworker log tail:\n{worker.log()[-3000:]}") from exc


def timed_on_worker(
    pdf: Path, pages: int, settings: Settings, label: str, worker: WorkerProcess
) -> Throughput:
    """`submit_and_wait`, noting the CPU time the worker's process tree spent meanwhile."""
    cpu_started = _tree_cpu_seconds(worker.process.pid)
    run = submit_and_wait(pdf, pages, settings, label, worker.log_path.parent)
    run.notes["worker_cpu_s"] = _tree_cpu_seconds(worker.process.pid) - cpu_started
    return run


def _tree_cpu_seconds(pid: int) -> float:
    """utime + stime (own and of reaped children) of `pid` and every live descendant."""
    ticks = 0
    for member in [pid, *_descendants(pid)]:
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


# --- memory -----------------------------------------------------------------------------------


class TreeSampler:
    """Samples VmRSS/VmHWM of a process and all its descendants from /proc, in a thread."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.peak_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def __enter__(self) -> "TreeSampler":
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()  # VmHWM of the live processes is their peak over their whole life

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> None:
        """Record the high-water mark of every process in the tree (exited ones keep theirs)."""
        for pid in [self.root_pid, *_descendants(self.root_pid)]:
            kib = _resident_peak_kib(pid)
            if kib is not None:
                self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), kib)

    def result(self, pages: int) -> MemoryPeak:
        children = [kib for pid, kib in self.peak_kib.items() if pid != self.root_pid]
        return MemoryPeak(
            pages=pages,
            main_mib=self.peak_kib.get(self.root_pid, 0) * 1024 / MIB,
            child_mib=max(children, default=0) * 1024 / MIB,
            children_seen=len(children),
        )


def _descendants(pid: int) -> list[int]:
    """Children of every thread of `pid`, recursively (billiard forks from a helper thread)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def _resident_peak_kib(pid: int) -> int | None:
    """max(VmRSS, VmHWM) in KiB, or None when the process is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    values = [int(line.split()[1]) for line in lines if line.startswith(("VmRSS:", "VmHWM:"))]
    return max(values, default=None)


def memory_run(pdf: Path, pages: int, servers: Servers) -> tuple[MemoryPeak, Throughput]:
    """Peak RSS of a concurrency-1 worker's tree while it ingests `pdf`."""
    label = f"distributed (1 worker proc, {pages} pages)"
    with running_worker(servers, 1) as (settings, worker), TreeSampler(worker.process.pid) as tree:
        run = timed_on_worker(pdf, pages, settings, label, worker)
    return tree.result(pages), run


# --- report -----------------------------------------------------------------------------------


def print_report(header: list[str], baseline: Throughput, results: Results) -> None:
    """The compact table on stdout."""
    print("\n".join(header))
    runs, memory = results.runs, results.memory
    width = max(len(run.label) for run in [baseline, *runs])
    for run in [baseline, *runs]:
        ratio = run.pages_per_second / baseline.pages_per_second
        notes = "".join(f", {key} {_number(value)}" for key, value in run.notes.items())
        print(
            f"  {run.label:<{width}} {run.pages_per_second:8.1f} pages/s = {ratio:5.2f} x plain "
            f"loop  ({run.pages} pages in {run.seconds:.1f} s{notes})"
        )
    if len(memory) == 2:
        small, large = memory
        print(f"Peak RSS of a concurrency-1 worker (VmHWM), {large.pages} vs {small.pages} pages:")
        seen = f"  (pool children seen: {large.children_seen} vs {small.children_seen})"
        print(_memory_line("pool child (largest)", large.child_mib, small.child_mib) + seen)
        print(_memory_line("main process", large.main_mib, small.main_mib))
    for failure in results.failures:
        print(f"FAILED {failure}")


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _memory_line(name: str, high: float, low: float) -> str:
    return f"  {name:<21} {high:7.1f} MiB vs {low:7.1f} MiB = {high / low:5.2f} x"


def write_json(path: Path, config: dict[str, Any], baseline: Throughput, results: Results) -> None:
    """The same figures as JSON."""
    throughput = [
        {
            **asdict(run),
            "pages_per_second": run.pages_per_second,
            "ratio_vs_plain_loop": run.pages_per_second / baseline.pages_per_second,
        }
        for run in [baseline, *results.runs]
    ]
    payload = {
        "config": config,
        "throughput": throughput,
        "memory": [asdict(peak) for peak in results.memory],
        "failures": results.failures,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")


# --- main -------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=500, help="pages of the throughput PDF")
    parser.add_argument("--rss-pages", type=int, default=2000, help="pages of the memory PDF")
    parser.add_argument(
        "--table-every", type=int, default=20, help="a ruled table on every Nth page (0: none)"
    )
    parser.add_argument("--skip-distributed", action="store_true")
    parser.add_argument("--skip-rss", action="store_true")
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    return parser


def _header(arguments: argparse.Namespace, tables: int, load_at_start: float) -> list[str]:
    load = f"{load_at_start:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    return [
        f"Greenhouse ingest throughput: {arguments.pages}-page native PDF, {tables} pages with a "
        f"ruled table; {os.cpu_count()} cores (load average {load}); PyMuPDF {pymupdf.__version__}",
        "  (wall clock; embedded and distributed include `greenhouse` process start; "
        "distributed excludes worker start)",
    ]


def _throughput_runs(
    results: Results, arguments: argparse.Namespace, pdf: Path, servers: Servers | None
) -> None:
    stages: list[tuple[str, Callable[[], Throughput]]] = [
        ("B: pdfminer.six loop", lambda: pdfminer_loop(pdf)),
        *(
            (
                f"embedded greenhouse ingest, --processes {processes or 'default'}",
                partial(embedded_run, pdf, arguments.pages, pdf.parent, processes),
            )
            for processes in (1, None)
        ),
    ]
    if servers is not None and not arguments.skip_distributed:
        stages += [
            (
                f"distributed, celery worker --concurrency {concurrency}",
                partial(distributed_run, pdf, arguments.pages, servers, concurrency),
            )
            for concurrency in (1, 2)
        ]
    for label, action in stages:
        run = results.attempt(label, action)
        if run is not None:
            progress(f"  {run.pages_per_second:.1f} pages/s")
            results.runs.append(run)


def _memory_runs(results: Results, arguments: argparse.Namespace, servers: Servers) -> None:
    measured: list[tuple[MemoryPeak, Throughput]] = []
    for pages in (RSS_BASELINE_PAGES, arguments.rss_pages):
        pdf = servers.root / f"rss-{pages}.pdf"
        progress(f"memory: generating a {pages}-page PDF")
        make_bench_pdf(pdf, pages, arguments.table_every)
        outcome = results.attempt(
            f"memory: worker RSS on {pages} pages", partial(memory_run, pdf, pages, servers)
        )
        if outcome is not None:
            measured.append(outcome)
    if len(measured) == 2:
        results.memory = [peak for peak, _ in measured]
        results.runs.append(measured[1][1])


@contextmanager
def maybe_servers(needed: bool, root: Path) -> Iterator[Servers | None]:
    """PostgreSQL and Redis when a distributed or memory run needs them."""
    if not needed:
        yield None
        return
    with postgres_server() as postgres_url, redis_server() as redis_url:
        yield Servers(postgres_url, redis_url, root)


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark and print the table; returns 1 when a stage failed."""
    arguments = _parser().parse_args(argv)
    load_at_start = os.getloadavg()[0]
    results = Results()
    with tempfile.TemporaryDirectory(prefix="greenhouse-bench-") as scratch:
        root = Path(scratch)
        pdf = root / f"bench-{arguments.pages}.pdf"
        progress(f"generating a {arguments.pages}-page PDF")
        table_pages = make_bench_pdf(pdf, arguments.pages, arguments.table_every)
        progress("A: plain PyMuPDF loop")
        baseline = plain_loop(pdf, table_pages)
        progress(f"  {baseline.pages_per_second:.1f} pages/s")
        needed = not (arguments.skip_distributed and arguments.skip_rss)
        with maybe_servers(needed, root) as servers:
            _throughput_runs(results, arguments, pdf, servers)
            if servers is not None and not arguments.skip_rss:
                _memory_runs(results, arguments, servers)
        header = _header(arguments, len(table_pages), load_at_start)
    print_report(header, baseline, results)
    if arguments.out:
        config = vars(arguments) | {"out": str(arguments.out)}
        write_json(arguments.out, config, baseline, results)
    progress(f"finished in {time.monotonic() - _STARTED:.0f} s")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
