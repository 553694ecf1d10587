"""What `greenhouse ingest` prints: a JSON line or a table row per document."""

import json
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from schemas.enums import DocumentStatus
from storage.documents import JobTally
from storage.models import Document
from storage.takeover import HeldLease


@dataclass(frozen=True)
class DocumentReport:
    """The outcome of one ingested file."""

    id: str
    path: str
    status: str
    media_type: str | None
    pages: int | None
    jobs: dict[str, int]
    error: dict[str, str] | None
    duplicate: bool

    @property
    def ok(self) -> bool:
        """True when the document is completely done."""
        return self.status == DocumentStatus.DONE


def document_report(
    document: Document, path: str, counts: JobTally, duplicate: bool
) -> DocumentReport:
    """Summarise a document row."""
    error = None
    if document.error_category:
        error = {"category": document.error_category, "message": document.error_message or ""}
    return DocumentReport(
        id=document.id,
        path=path,
        status=document.status,
        media_type=document.media_type,
        pages=document.page_count,
        jobs=asdict(counts),
        error=error,
        duplicate=duplicate,
    )


def print_json_lines(reports: list[DocumentReport], out: TextIO) -> None:
    """One JSON object per document."""
    for report in reports:
        payload: dict[str, Any] = asdict(report)
        out.write(json.dumps(payload, sort_keys=True) + "\n")


def print_table(reports: list[DocumentReport], out: TextIO) -> None:
    """A fixed-width summary table."""
    header = f"{'status':<10} {'jobs':>5} {'ok':>5} {'failed':>6}  {'document id':<36}  path"
    out.write(header + "\n" + "-" * len(header) + "\n")
    for report in reports:
        out.write(
            f"{report.status:<10} {report.jobs['total']:>5} {report.jobs['succeeded']:>5} "
            f"{report.jobs['failed']:>6}  {report.id:<36}  {report.path}\n"
        )
        if report.error:
            out.write(f"{'':<10} error: {report.error['category']}: {report.error['message']}\n")


def plural(count: int, noun: str) -> str:
    """`1 job`, `2 jobs`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def explain_unfinished(reports: list[DocumentReport], leases: list[HeldLease], out: TextIO) -> None:
    """Say why documents are still queued or processing after an embedded run."""
    unfinished = [
        report
        for report in reports
        if report.status in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING)
    ]
    if not unfinished:
        return
    out.write(f"{plural(len(unfinished), 'document')} not finished:\n")
    if leases:
        jobs = sum(lease.is_job for lease in leases)
        documents = len(leases) - jobs
        owners = sorted({lease.owner for lease in leases})
        until = max(lease.expires_at for lease in leases)
        out.write(
            f"  {plural(jobs, 'job')} and {plural(documents, 'document')} are held by another "
            f"live process ({', '.join(owners)}) until {until:%Y-%m-%d %H:%M:%S} UTC at the "
            "latest; run again when it has finished or its leases have expired\n"
        )
    waiting = sum(report.jobs["waiting"] for report in unfinished)
    if waiting:
        out.write(
            f"  {plural(waiting, 'job')} wait for a model tier that is not configured or not "
            "answering (see each job's waiting_reason; `greenhouse jobs resume` once it is)\n"
        )
