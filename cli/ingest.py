"""`greenhouse ingest`: embedded in-process run, or enqueue to the broker (and wait).

With a broker every document is accepted with its chunking message in the dispatch outbox
(`storage/outbox.py`) and the message is sent after the commit. When the broker does not
answer, the CLI tries again SEND_RETRIES times, then leaves the messages in the outbox for the
workers' reapers (and the API's relay) and says so; `--wait` then does not wait.
"""

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cli.files import expand_paths
from cli.progress import DrainDisplay, ProgressBar
from cli.report import (
    DocumentReport,
    document_report,
    explain_unfinished,
    print_json_lines,
    print_table,
)
from schemas.document_options import DocumentOptions
from schemas.enums import TERMINAL_DOCUMENT_STATUSES, DocumentStatus
from schemas.settings import Settings
from storage.database import transaction
from storage.documents import get_document, job_counts
from storage.extraction_schemas import get_schema
from storage.intake import take_in
from storage.ledger import queued_work_of_document
from storage.migrate import upgrade_to_head
from storage.outbox import flush_outbox
from storage.takeover import live_leases_of
from workers.context import CollectingEnqueuer, Enqueuer, WorkerContext, build_context
from workers.embedded import EmbeddedExecutor
from workers.isolation.pool import IsolationPool
from workers.isolation.zygote import Zygote
from workers.reaper import reap_once
from workers.takeover import take_over_dead_embedded_runs

WAIT_POLL_SECONDS = 0.5
SEND_RETRIES = 2
"""Further tries of the messages the broker refused, after OUTBOX_RETRY_SECONDS and then twice
that, before they are left to the reapers."""


class UnknownSchemaError(Exception):
    """--schema names no registered schema."""


@dataclass(frozen=True)
class IngestOptions:
    """What the user asked for: the options of every document, and how to run."""

    document: DocumentOptions
    as_json: bool
    wait: bool
    wait_timeout: float | None
    processes: int | None


@dataclass(frozen=True)
class Submission:
    """(document id, path, duplicate) of every file; the documents whose work the broker did not
    take, and why."""

    documents: list[tuple[str, str, bool]]
    unsent: list[str]
    error: str | None


def run_ingest(
    settings: Settings, paths: Sequence[Path], options: IngestOptions, zygote: Zygote | None = None
) -> int:
    """Ingest files; returns the exit code (0 when every document is done). `zygote`: one
    started by the caller for the embedded run's isolated work."""
    files = list(expand_paths(paths))
    if settings.broker_url:
        from workers.celery_app import CeleryEnqueuer, celery_client

        context = build_context(settings, CeleryEnqueuer(celery_client(settings)))
    else:
        context = build_context(settings, CollectingEnqueuer())
        if isinstance(context.isolation, IsolationPool):
            # Its zygote imports the pipeline while this process migrates and takes files in.
            context.isolation.prestart(zygote)
    upgrade_to_head(context.engine)
    schema = options.document.schema
    if schema is not None:
        with transaction(context.sessions) as session:
            if get_schema(session, schema) is None:
                raise UnknownSchemaError(
                    f"no schema is registered as {schema!r}; register it with "
                    "POST /v1/schemas first"
                )
    if not settings.broker_url:
        # An embedded run on this host that died (kill -9, power loss) left leases: take its
        # work back now rather than after the leases expire.
        note = take_over_dead_embedded_runs(context).describe()
        if note:
            sys.stderr.write(note + "\n")
    submission = _submit(context, files, options)
    submitted = submission.documents
    if not settings.broker_url:
        reap_once(context)
        EmbeddedExecutor(context, options.processes).drain(DrainDisplay())
    elif submission.unsent:
        _explain_unsent(submission, options.wait, sys.stderr)
    elif options.wait:
        _wait_for(context, [doc_id for doc_id, _, _ in submitted], options.wait_timeout)
    reports = _reports(context, submitted)
    (print_json_lines if options.as_json else print_table)(reports, sys.stdout)
    if not options.as_json and not settings.broker_url:
        _print_hint(sys.stdout)
    if not settings.broker_url:
        with transaction(context.sessions) as session:
            leases = live_leases_of(session, [report.id for report in reports])
        explain_unfinished(reports, leases, sys.stderr)
    if settings.broker_url and options.wait and submission.unsent:
        return 1
    if settings.broker_url and not options.wait:
        # Submitted, not awaited: success means every file was accepted and none has failed.
        return 1 if any(report.status == DocumentStatus.FAILED for report in reports) else 0
    return 0 if all(report.ok for report in reports) else 1


def _submit(context: WorkerContext, files: list[Path], options: IngestOptions) -> Submission:
    """Take every file in; with a broker, send each one's work after its commit until the
    broker fails, then try the rest again a few times."""
    distributed = bool(context.settings.broker_url)
    submitted: list[tuple[str, str, bool]] = []
    unsent: list[str] = []
    error: str | None = None
    for path in files:
        with path.open("rb") as stream:
            intake = take_in(
                context.sessions,
                context.blobs,
                stream,
                filename=path.name,
                collection=options.document.collection,
                options=options.document.stored(),
                with_outbox=distributed,
                resend_queued=distributed,
            )
        document_id = intake.document.id
        submitted.append((document_id, str(path), not intake.created))
        if not distributed:
            if intake.created:  # queued just now: nothing to read back
                context.enqueuer.enqueue_documents([document_id])
            else:
                _enqueue_unfinished(context.enqueuer, context, document_id)
            continue
        if error is None:  # after one refusal the others wait for the retries
            error = _send_work(context, document_id)
        if error is not None:
            unsent.append(document_id)
    if unsent:
        unsent, error = _retry_unsent(context, unsent, error)
    return Submission(documents=submitted, unsent=unsent, error=error)


def _send_work(context: WorkerContext, document_id: str) -> str | None:
    """Send the document's pending chunking message, or the queued jobs of one an earlier run
    left processing; the error when the broker did not take them."""
    send = _chunking_sender(context.enqueuer)
    result = flush_outbox(context.sessions, send, [document_id])
    if result.error is not None:
        return result.error
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        processing = document is not None and document.status == DocumentStatus.PROCESSING
        queued = queued_work_of_document(session, document_id) if processing else None
    if queued is not None and queued.job_ids:
        try:
            context.enqueuer.enqueue_jobs(queued.jobs)
            context.enqueuer.enqueue_runs(queued.runs)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
    return None


def _chunking_sender(enqueuer: Enqueuer) -> Callable[[str], None]:
    def send(document_id: str) -> None:
        enqueuer.enqueue_documents([document_id])

    return send


def _retry_unsent(
    context: WorkerContext, unsent: list[str], error: str | None
) -> tuple[list[str], str | None]:
    """Try the unsent documents again SEND_RETRIES times with a doubling pause; returns those
    still unsent and the last error."""
    delay = context.settings.outbox_retry_seconds
    remaining = list(unsent)
    for _ in range(SEND_RETRIES):
        sys.stderr.write(
            f"greenhouse: the broker did not take the work ({error}); trying again in {delay:g} s\n"
        )
        time.sleep(delay)
        delay *= 2
        while remaining:
            error = _send_work(context, remaining[0])
            if error is not None:
                break
            remaining.pop(0)
        else:
            return [], None
    return remaining, error


def _explain_unsent(submission: Submission, wait: bool, out: Any) -> None:
    count = len(submission.unsent)
    noun = "document" if count == 1 else "documents"
    out.write(
        f"greenhouse: {count} {noun} accepted, will be sent when the broker answers "
        f"({submission.error}): the work waits in the database, and any worker's reaper sends "
        "it once the broker is back.\n"
    )
    if wait:
        out.write(
            "greenhouse: not waiting, since nothing can start before then; follow them with "
            "`greenhouse show ID` or GET /v1/documents/ID.\n"
        )


def _enqueue_unfinished(enqueuer: Enqueuer, context: WorkerContext, document_id: str) -> None:
    """Without a broker: queue a document taken in before (a duplicate) that is still queued,
    or the queued jobs of one an earlier run left unfinished, for the embedded executor."""
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        assert document is not None
        status = DocumentStatus(document.status)
        queued = queued_work_of_document(session, document_id)
    if status is DocumentStatus.QUEUED:
        enqueuer.enqueue_documents([document_id])
    elif status is DocumentStatus.PROCESSING and queued.job_ids:
        enqueuer.enqueue_jobs(queued.jobs)
        enqueuer.enqueue_runs(queued.runs)


def _wait_for(context: WorkerContext, document_ids: list[str], timeout: float | None) -> None:
    deadline = None if timeout is None else time.monotonic() + timeout
    bar = ProgressBar("waiting")
    while True:
        with transaction(context.sessions) as session:
            counts = job_counts(session, document_ids)
            statuses = [get_document(session, d) for d in document_ids]
        total = sum(c.total for c in counts.values())
        bar.update(sum(c.succeeded + c.failed for c in counts.values()), total)
        if all(doc is not None and doc.status in TERMINAL_DOCUMENT_STATUSES for doc in statuses):
            return
        if deadline is not None and time.monotonic() > deadline:
            return
        time.sleep(WAIT_POLL_SECONDS)


def _reports(
    context: WorkerContext, submitted: list[tuple[str, str, bool]]
) -> list[DocumentReport]:
    reports: list[DocumentReport] = []
    with transaction(context.sessions) as session:
        counts = job_counts(session, [doc_id for doc_id, _, _ in submitted])
        for document_id, path, duplicate in submitted:
            document = get_document(session, document_id)
            assert document is not None
            reports.append(document_report(document, path, counts[document_id], duplicate))
    return reports


def _print_hint(out: Any) -> None:
    out.write(
        "\nResults are in the database. Query them over REST with `greenhouse serve` and a key\n"
        "(`greenhouse keys create --name me --collections '*' --scopes read`, shown once):\n"
        '  curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/v1/documents\n'
        '  curl -H "Authorization: Bearer $KEY" http://127.0.0.1:8000/v1/documents/<id>/result\n'
    )
