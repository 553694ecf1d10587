"""Ledger bookkeeping per page with and without job runs: messages, transactions, statements
and milliseconds, on a generated native-text PDF (200 pages at the defaults).

Run on demand from the repository root (about a minute at the defaults):

    .venv/bin/python bench/job_runs.py [--pages 200] [--run-pages 16] [--repeat 3]

The PDF is chunked for real (in this process, isolation off). The engine is then replaced by
one that hands back a page result extracted once beforehand, at once, so what is timed is the
worker's bookkeeping alone: claiming, settling, counting the document down and finalising it,
exactly as `run_job` (run size 1: one message and two transactions per page) and
`run_job_run` (one message, one claim and one settling transaction per run) do it. Both
backends: SQLite (the embedded ledger) and PostgreSQL (found or started like the tests do, in a
throwaway database). Printed per page: messages to send after chunking, transactions
(commits), SQL statements, and milliseconds (best of `--repeat`, each on a fresh database).
"""

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, event

from pipeline.engines.base import ChunkJob, ExtractionResult
from schemas.settings import Settings
from storage.database import make_engine, transaction
from storage.documents import get_document
from storage.intake import take_in
from storage.migrate import upgrade_to_head
from tests.support.documents import make_text_pdf
from tests.support.services import create_database, drop_database, postgres_server
from workers import chunk_document as chunk_step
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.isolation.messages import DocumentPlan, PlanRequest, RunAnswers
from workers.isolation.runners import ChunkRunner
from workers.job_run import run_job_run
from workers.run_job import run_job


class InstantRunner:
    """Hands back the same extraction for every page at once: no engine cost in the figures."""

    def __init__(self, real: ChunkRunner, result: ExtractionResult) -> None:
        self._real = real
        self._result = result

    def run_chunk(self, job: ChunkJob) -> ExtractionResult:
        del job
        return self._result

    def run_chunks(self, jobs: Sequence[ChunkJob]) -> RunAnswers:
        return RunAnswers([self._result] * len(jobs))

    def plan_document(self, request: PlanRequest) -> DocumentPlan:
        return self._real.plan_document(request)

    def limit_workers(self, count: int | None) -> None:
        self._real.limit_workers(count)

    def close(self) -> None:
        self._real.close()


@dataclass(frozen=True)
class Figures:
    messages: int
    transactions: int
    statements: int
    seconds: float


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--run-pages", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="greenhouse-runs-") as scratch:
        root = Path(scratch)
        pdf = root / "pages.pdf"
        make_text_pdf(pdf, arguments.pages)
        print(f"{arguments.pages}-page native-text PDF; per page, best of {arguments.repeat}:")
        for backend in ("sqlite", "postgresql"):
            for run_pages in (1, arguments.run_pages):
                best = min(
                    (
                        measure(backend, root / f"{backend}-{run_pages}-{each}", pdf, run_pages)
                        for each in range(arguments.repeat)
                    ),
                    key=lambda figures: figures.seconds,
                )
                _print(backend, run_pages, arguments.pages, best)


def measure(backend: str, root: Path, pdf: Path, run_pages: int) -> Figures:
    root.mkdir()
    if backend == "sqlite":
        return _measure(f"sqlite:///{root / 'ledger.db'}", root, pdf, run_pages)
    with postgres_server() as server:
        name = f"greenhouse_bench_{uuid.uuid4().hex[:8]}"
        url = create_database(server, name)
        try:
            return _measure(url, root, pdf, run_pages)
        finally:
            drop_database(server, name)


def _measure(database_url: str, root: Path, pdf: Path, run_pages: int) -> Figures:
    engine = make_engine(database_url)
    upgrade_to_head(engine)
    engine.dispose()
    settings = Settings(
        database_url=database_url,
        blob_root=str(root / "blobs"),
        isolation="off",
        local_run_pages=run_pages,
    )
    enqueuer = CollectingEnqueuer()
    context = build_context(settings, enqueuer)
    try:
        document_id = _chunk(context, pdf)
        messages = len(enqueuer.jobs) + len(enqueuer.runs)
        jobs, runs = list(enqueuer.jobs), list(enqueuer.runs)
        enqueuer.jobs.clear()
        enqueuer.runs.clear()
        context.isolation = InstantRunner(context.isolation, _one_page(context, pdf))
        counts = _count(context.engine)
        started = time.perf_counter()
        for run_id, _ in runs:
            run_job_run(context, run_id, "bench")
        for job_id, _ in jobs:
            run_job(context, job_id, "bench")
        seconds = time.perf_counter() - started
        with transaction(context.sessions) as session:
            document = get_document(session, document_id)
            status = None if document is None else document.status
        if status != "done" or enqueuer.jobs or enqueuer.runs:
            raise RuntimeError(f"the document did not finish cleanly: {status}")
        return Figures(messages, counts["commit"], counts["statement"], seconds)
    finally:
        context.close()


def _chunk(context: WorkerContext, pdf: Path) -> str:
    with pdf.open("rb") as stream:
        intake = take_in(
            context.sessions, context.blobs, stream, filename=pdf.name, collection="c", options={}
        )
    chunk_step.chunk_document(context, intake.document.id, "chunker")
    return intake.document.id


def _one_page(context: WorkerContext, pdf: Path) -> ExtractionResult:
    """A real extraction of the first page, reused for every page."""
    from schemas.chunks import ChunkDescriptor
    from schemas.enums import ChunkKind, Tier

    chunk = ChunkDescriptor(seq=0, kind=ChunkKind.PDF_PAGE, page_number=1, has_text_layer=True)
    return context.isolation.run_chunk(ChunkJob(path=pdf, chunk=chunk, tier=Tier.LOCAL))


def _count(engine: Engine) -> Counter[str]:
    counts: Counter[str] = Counter()

    def commit(_: Any) -> None:
        counts["commit"] += 1

    def statement(*_: Any) -> None:
        counts["statement"] += 1

    event.listen(engine, "commit", commit)
    event.listen(engine, "before_cursor_execute", statement)
    return counts


def _print(backend: str, run_pages: int, pages: int, figures: Figures) -> None:
    print(
        f"  {backend:<10} run size {run_pages:>2}: "
        f"{figures.messages / pages:.3f} messages, "
        f"{figures.transactions / pages:.3f} transactions, "
        f"{figures.statements / pages:.2f} statements, "
        f"{1000 * figures.seconds / pages:.2f} ms"
    )


if __name__ == "__main__":
    main()
