"""Saturation of the MoE tier: how busy the distributed pipeline keeps a fixed-capacity server.

Run on demand from the repository root (not a test; about a minute at the defaults):

    .venv/bin/python bench/model_tiers.py [--pages 500] [--capacity 8] [--token-latency 0.004]
        [--vlm-concurrency 64] [--vlm-workers 1] [--max-in-flight N] [--out figures.json]

The fake vLLM server (`tests.fakes.fake_vllm`) serves `--capacity` requests at a time and answers
each after `--token-latency` seconds per completion token, queueing the rest: a GPU of known
throughput. A generated scanned PDF (image-only pages, no fonts: they route to the MoE tier) goes
through the real pipeline: a fresh PostgreSQL database, Redis db 13 flushed, one prefork `celery
worker -Q ingest` (1 process) and `--vlm-workers` (1) `celery worker -Q vlm --pool threads
--concurrency 64`, submitted with `greenhouse ingest FILE --json` and polled until the document is
done. The fake answers each page in about 123 tokens: 4 ms/token is a service time of ~0.5 s.

The baseline is the fake's own ceiling in the same run: capacity / mean service time. Reported:
the fraction of the capacity kept busy between the first request and the last response
(`slot_seconds / (capacity * window)` from `control.stats()`), pages/s as a ratio to the ceiling,
the server queue (peak and mean) and what the workers spent their time on. Progress on stderr.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf
from sqlalchemy import Engine, text

from bench.ingest_throughput import (
    Servers,
    _tree_cpu_seconds,
    progress,
    submit_and_wait,
)
from bench.ingest_throughput import (
    fresh_settings as fresh_pipeline_settings,
)
from schemas.settings import Settings
from storage.database import make_engine
from tests.fakes.fake_vllm import (
    MOE_MODEL,
    FakeVllmConfig,
    FakeVllmControl,
    FakeVllmStats,
    running_fake_vllm,
)
from tests.support.documents import make_text_pdf
from tests.support.services import postgres_server, redis_server
from tests.support.workers import WorkerProcess, celery_worker

BROKER_DB = 13
SAMPLE_SECONDS = 0.01
SCAN_DPI = 150
LINES_PER_PAGE = 30


@dataclass(frozen=True)
class Sample:
    """One reading of the fake's counters."""

    at: float
    received: int
    served: int
    running: int
    waiting: int


@dataclass
class WorkerCpu:
    """CPU seconds of a worker's process tree during the run, and of its main thread."""

    tree_s: float
    main_thread_s: float = 0.0


@dataclass
class JobTimes:
    """Means over the jobs, from the ledger (seconds)."""

    run_s: float
    model_latency_s: float
    limiter_wait_s: float
    other_s: float
    first_start_after_submit_s: float
    attempts_per_job: float
    budgets: dict[str, int]


@dataclass
class Saturation:
    """The figures of one run."""

    pages: int
    capacity: int
    token_latency_s: float
    vlm_workers: int
    vlm_threads: int
    requests: int
    window_s: float
    slot_seconds: float
    mean_service_s: float
    utilisation: float
    pages_per_s: float
    ceiling_pages_per_s: float
    end_to_end_s: float
    peak_waiting: int
    mean_waiting: float
    mean_running: float
    mean_in_flight: float
    idle_slot_share_by_in_flight: dict[str, float]
    bench_process_cpu_s: float
    vlm_cpu_ms_per_page: float
    vlm_cpu_ceiling_pages_per_s: float
    vlm_worker: WorkerCpu
    ingest_worker: WorkerCpu
    jobs: JobTimes | None


# --- document -----------------------------------------------------------------------------------


def make_scanned_pdf(path: Path, pages: int) -> None:
    """A PDF of image-only pages: text pages rendered to greyscale pixmaps, inserted as images."""
    source_path = path.with_suffix(".text.pdf")
    make_text_pdf(source_path, pages, lines_per_page=LINES_PER_PAGE)
    source = pymupdf.open(source_path)
    scanned = pymupdf.open()
    for index in range(source.page_count):
        page = source[index]
        pixmap = page.get_pixmap(dpi=SCAN_DPI, colorspace=pymupdf.csGRAY)
        target = scanned.new_page(width=page.rect.width, height=page.rect.height)
        target.insert_image(target.rect, pixmap=pixmap)
    scanned.save(path, garbage=3, deflate=True)
    scanned.close()
    source.close()
    source_path.unlink()


# --- services and workers -----------------------------------------------------------------------


@contextmanager
def fresh_settings(
    servers: Servers, vllm_url: str, max_in_flight: int | None
) -> Iterator[Settings]:
    """A new migrated database, Redis db 13 flushed, the MoE tier pointing at the fake."""
    with fresh_pipeline_settings(servers, broker_db=BROKER_DB) as settings:
        update: dict[str, Any] = {"vllm_url": vllm_url, "vllm_model": MOE_MODEL}
        if max_in_flight is not None:
            update["model_max_in_flight"] = max_in_flight
        yield settings.model_copy(update=update)


# --- measuring ----------------------------------------------------------------------------------


class StatsSampler:
    """Reads `control.stats()` every SAMPLE_SECONDS in a thread."""

    def __init__(self, control: FakeVllmControl) -> None:
        self.control = control
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="stats-sampler", daemon=True)

    def __enter__(self) -> "StatsSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            stats = self.control.stats()
            self.samples.append(
                Sample(time.monotonic(), stats.received, stats.served, stats.running, stats.waiting)
            )
            self._stop.wait(SAMPLE_SECONDS)


def main_thread_cpu(pid: int) -> float:
    """CPU seconds of the main thread of `pid` (a Celery worker's consumer loop)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def job_times(engine: Engine) -> JobTimes | None:
    """Means of run time, model latency and limiter wait per job, from the ledger."""
    query = text(
        "SELECT j.started_at, j.finished_at, j.latency_ms, j.model_calls, j.budget, d.created_at "
        "FROM jobs j JOIN documents d ON d.id = j.document_id WHERE j.state = 'succeeded'"
    )
    with engine.connect() as connection:
        rows = list(connection.execute(query))
    if not rows:
        return None
    runs = [(r.finished_at - r.started_at).total_seconds() for r in rows]
    latency = [(r.latency_ms or 0.0) / 1000 for r in rows]
    attempts = [r.model_calls.get("attempts", []) if r.model_calls else [] for r in rows]
    waits = [sum(a.get("queue_seconds", 0.0) for a in job) for job in attempts]
    budgets: dict[str, int] = {}
    for row in rows:
        budgets[str(row.budget)] = budgets.get(str(row.budget), 0) + 1
    first_start = min(r.started_at for r in rows)
    created = rows[0].created_at
    return JobTimes(
        run_s=statistics.fmean(runs),
        model_latency_s=statistics.fmean(latency),
        limiter_wait_s=statistics.fmean(waits),
        other_s=statistics.fmean(runs) - statistics.fmean(latency) - statistics.fmean(waits),
        first_start_after_submit_s=(first_start - created).total_seconds(),
        attempts_per_job=statistics.fmean(len(job) for job in attempts),
        budgets=budgets,
    )


def window_samples(samples: list[Sample], total: int) -> tuple[float, float, list[Sample]]:
    """(first request, last response, samples in between) from the sampled counters."""
    first = next(s.at for s in samples if s.received > 0)
    last = next(s.at for s in samples if s.served >= total)
    return first, last, [s for s in samples if first <= s.at <= last]


def idle_share_by_in_flight(inside: list[Sample], capacity: int) -> dict[str, float]:
    """Share of the window's idle slots, split by what the client had in flight at the time.

    `in_flight < capacity`: the client did not send enough requests (starved); `>= capacity`:
    requests were queued at the server while slots were free (the fake's own scheduling lag).
    """
    starved = lagging = 0
    for sample in inside:
        idle = capacity - sample.running
        if sample.running + sample.waiting < capacity:
            starved += idle
        else:
            lagging += idle
    total = starved + lagging or 1
    return {"client_starved": starved / total, "server_lag": lagging / total}


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Measured:
    """What one run produced, before it is turned into figures."""

    stats: FakeVllmStats
    samples: list[Sample]
    end_to_end_s: float
    bench_cpu_s: float
    vlm_cpu: WorkerCpu
    ingest_cpu: WorkerCpu
    jobs: JobTimes | None


class CpuMeter:
    """CPU seconds some workers' process trees (and their main threads) spend inside the block."""

    def __init__(self, workers: list[WorkerProcess]) -> None:
        self.pids = [worker.process.pid for worker in workers]
        self.spent = WorkerCpu(0.0)

    def _read(self) -> WorkerCpu:
        return WorkerCpu(
            sum(_tree_cpu_seconds(pid) for pid in self.pids),
            sum(main_thread_cpu(pid) for pid in self.pids),
        )

    def __enter__(self) -> "CpuMeter":
        self._started = self._read()
        return self

    def __exit__(self, *_: object) -> None:
        now = self._read()
        self.spent = WorkerCpu(
            now.tree_s - self._started.tree_s, now.main_thread_s - self._started.main_thread_s
        )


def saturation_run(arguments: argparse.Namespace, servers: Servers, pdf: Path) -> Saturation:
    """One document through the workers against a fake of fixed capacity."""
    config = FakeVllmConfig(capacity=arguments.capacity)
    with running_fake_vllm(config) as fake:
        fake.control.token_latency = arguments.token_latency
        with (
            fresh_settings(servers, fake.base_url, arguments.max_in_flight) as settings,
            celery_worker(settings, servers.root, "ingest", concurrency=1) as ingest,
            ExitStack() as stack,
        ):
            vlm = [
                stack.enter_context(
                    celery_worker(
                        settings,
                        servers.root,
                        "vlm",
                        concurrency=arguments.vlm_concurrency,
                        pool="threads",
                    )
                )
                for _ in range(arguments.vlm_workers)
            ]
            progress("workers ready; submitting")
            measured = measure(fake.control, settings, pdf, arguments.pages, (vlm, ingest))
    return figures(arguments, measured)


def measure(
    control: FakeVllmControl,
    settings: Settings,
    pdf: Path,
    pages: int,
    workers: tuple[list[WorkerProcess], WorkerProcess],
) -> Measured:
    """Submit the PDF and wait for it, sampling the fake and metering the workers' CPU."""
    vlm, ingest = workers
    control.reset()
    cpu_started = time.process_time()
    with (
        CpuMeter(vlm) as vlm_cpu,
        CpuMeter([ingest]) as ingest_cpu,
        StatsSampler(control) as sampler,
    ):
        run = submit_and_wait(pdf, pages, settings, "saturation", ingest.log_path.parent)
    bench_cpu = time.process_time() - cpu_started
    engine = make_engine(settings.database_url)
    try:
        jobs = job_times(engine)
    finally:
        engine.dispose()
    return Measured(
        control.stats(),
        sampler.samples,
        run.seconds,
        bench_cpu,
        vlm_cpu.spent,
        ingest_cpu.spent,
        jobs,
    )


def figures(arguments: argparse.Namespace, measured: Measured) -> Saturation:
    """The figures of a run: utilisation and throughput against the fake's ceiling."""
    stats, pages, capacity = measured.stats, arguments.pages, arguments.capacity
    first, last, inside = window_samples(measured.samples, stats.served)
    window = last - first
    service = stats.slot_seconds / stats.served
    return Saturation(
        pages=pages,
        capacity=capacity,
        token_latency_s=arguments.token_latency,
        vlm_workers=arguments.vlm_workers,
        vlm_threads=arguments.vlm_concurrency,
        requests=stats.received,
        window_s=window,
        slot_seconds=stats.slot_seconds,
        mean_service_s=service,
        utilisation=stats.slot_seconds / (capacity * window),
        pages_per_s=pages / window,
        ceiling_pages_per_s=capacity / service,
        end_to_end_s=measured.end_to_end_s,
        peak_waiting=max(s.waiting for s in inside),
        mean_waiting=statistics.fmean(s.waiting for s in inside),
        mean_running=statistics.fmean(s.running for s in inside),
        mean_in_flight=statistics.fmean(s.running + s.waiting for s in inside),
        idle_slot_share_by_in_flight=idle_share_by_in_flight(inside, capacity),
        bench_process_cpu_s=measured.bench_cpu_s,
        vlm_cpu_ms_per_page=1000 * measured.vlm_cpu.tree_s / pages,
        vlm_cpu_ceiling_pages_per_s=pages / measured.vlm_cpu.tree_s,
        vlm_worker=measured.vlm_cpu,
        ingest_worker=measured.ingest_cpu,
        jobs=measured.jobs,
    )


# --- report -------------------------------------------------------------------------------------


def print_report(figures: Saturation, load_at_start: float) -> None:
    """The figures on stdout."""
    f = figures
    load = f"load average {load_at_start:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    print(
        f"MoE-tier saturation: {f.pages}-page scanned PDF, fake vLLM capacity {f.capacity}, "
        f"{f.token_latency_s * 1000:g} ms/token; {f.vlm_workers} vlm worker(s) x "
        f"{f.vlm_threads} threads; {os.cpu_count()} cores ({load})"
    )
    print(
        f"  requests {f.requests}, mean service {f.mean_service_s:.3f} s -> ceiling "
        f"{f.ceiling_pages_per_s:.2f} pages/s (capacity / mean service)"
    )
    print(
        f"  capacity kept busy (first request .. last response, {f.window_s:.1f} s): "
        f"{f.utilisation:.3f}  (goal >= 0.95)"
    )
    ratio = f.pages_per_s / f.ceiling_pages_per_s
    print(
        f"  pages/s in that window: {f.pages_per_s:.2f} = {ratio:.3f} x ceiling; end to end "
        f"(submit .. document done): {f.pages / f.end_to_end_s:.2f} pages/s "
        f"({f.end_to_end_s:.1f} s)"
    )
    print(
        f"  server queue: peak {f.peak_waiting}, mean {f.mean_waiting:.2f} waiting; mean running "
        f"{f.mean_running:.2f}, mean in flight {f.mean_in_flight:.2f}"
    )
    shares = f.idle_slot_share_by_in_flight
    print(
        f"  idle slot time: {shares['client_starved']:.0%} while the client had < capacity in "
        f"flight, {shares['server_lag']:.0%} while requests waited at the server"
    )
    print(
        f"  CPU seconds during the run: vlm worker(s) {f.vlm_worker.tree_s:.1f}, ingest worker "
        f"{f.ingest_worker.tree_s:.1f}, bench process (fake server + sampler) "
        f"{f.bench_process_cpu_s:.1f}"
    )
    print(
        f"  vlm worker CPU per page {f.vlm_cpu_ms_per_page:.1f} ms -> one GIL-bound process "
        f"prepares at most {f.vlm_cpu_ceiling_pages_per_s:.1f} pages/s = "
        f"{f.vlm_cpu_ceiling_pages_per_s / f.ceiling_pages_per_s:.2f} x the server ceiling"
    )
    main = f.vlm_worker.main_thread_s
    print(
        f"  of the vlm workers' CPU: main threads (Celery consumer: fetch, ack) {main:.1f} s = "
        f"{main / f.vlm_worker.tree_s:.0%}; pool threads (the jobs) and others the rest"
    )
    if f.jobs is not None:
        j = f.jobs
        print(
            f"  per job (ledger means): run {j.run_s:.3f} s = model latency {j.model_latency_s:.3f}"
            f" + limiter wait {j.limiter_wait_s:.3f} + other {j.other_s:.3f}; attempts/job "
            f"{j.attempts_per_job:.2f}; budgets {j.budgets}; first job started "
            f"{j.first_start_after_submit_s:.1f} s after the document row"
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pages", type=int, default=500, help="pages of the scanned PDF")
    parser.add_argument("--capacity", type=int, default=8, help="the fake's concurrent requests")
    parser.add_argument(
        "--token-latency", type=float, default=0.004, help="the fake's seconds per output token"
    )
    parser.add_argument("--vlm-concurrency", type=int, default=64, help="threads per vlm worker")
    parser.add_argument("--vlm-workers", type=int, default=1, help="vlm worker processes")
    parser.add_argument(
        "--max-in-flight", type=int, help="GREENHOUSE_MODEL_MAX_IN_FLIGHT (default: the setting's)"
    )
    parser.add_argument("--out", type=Path, help="also write the figures to this JSON file")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Generate the PDF, run it through the workers, print the figures."""
    arguments = _parser().parse_args(argv)
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="greenhouse-bench-") as scratch:
        root = Path(scratch)
        pdf = root / f"scanned-{arguments.pages}.pdf"
        progress(f"generating a {arguments.pages}-page scanned PDF")
        make_scanned_pdf(pdf, arguments.pages)
        with postgres_server() as postgres_url, redis_server() as redis_url:
            figures = saturation_run(arguments, Servers(postgres_url, redis_url, root), pdf)
    print_report(figures, load_at_start)
    if arguments.out:
        payload: dict[str, Any] = {"config": vars(arguments) | {"out": str(arguments.out)}}
        payload["figures"] = asdict(figures)
        arguments.out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    progress("finished")
    return 0 if figures.utilisation >= 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
