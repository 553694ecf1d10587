"""What `greenhouse ingest` prints: a JSON line or a table row per document."""

import json
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from schemas.enums import DocumentStatus
from storage.documents import JobTally
from storage.models import Document


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
