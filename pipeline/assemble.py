"""Assembling a finished document's result from its jobs, in order. Pure."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from schemas.results import DOCUMENT_PAGES, DocumentPagesData, PageSummary

PAGE_SEPARATOR = "\n\f\n"


@dataclass(frozen=True)
class JobSnapshot:
    """What assembly needs to know of one job and its extraction (if it succeeded)."""

    seq: int
    state: str
    page_number: int | None
    extraction_id: str | None
    extraction_kind: str | None
    data: dict[str, Any] | None
    error_category: str | None
    error_message: str | None


@dataclass(frozen=True)
class AssembledResult:
    """The document-level extraction to store."""

    kind: str
    data: dict[str, Any]


def assemble_pages(jobs: Sequence[JobSnapshot]) -> AssembledResult:
    """Pages in order with their text; failed pages keep their place and their error."""
    ordered = sorted(jobs, key=lambda job: job.seq)
    pages: list[PageSummary] = []
    for job in ordered:
        text = None
        if job.data is not None:
            text = str(job.data.get("text", ""))
        error = None
        if job.error_category:
            error = {"category": job.error_category, "message": job.error_message or ""}
        pages.append(
            PageSummary.model_validate(
                {
                    "page_number": job.page_number or job.seq + 1,
                    "status": job.state,
                    "text": text,
                    "extraction_id": job.extraction_id,
                    "error": error if job.state == "failed" else None,
                }
            )
        )
    data = DocumentPagesData(
        text=PAGE_SEPARATOR.join(page.text or "" for page in pages),
        page_count=len(pages),
        failed_pages=[page.page_number for page in pages if page.status == "failed"],
        pages=pages,
    )
    return AssembledResult(kind=DOCUMENT_PAGES, data=data.model_dump(mode="json"))
