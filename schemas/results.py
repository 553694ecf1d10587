"""Document-level results: one per finished document, assembled from its jobs' extractions."""

from datetime import datetime
from typing import Any, Final, Literal

from pydantic import BaseModel, Field

DOCUMENT_PAGES: Final = "document_pages"


class PageSummary(BaseModel):
    """One page of a document result: its text, or why it has none."""

    page_number: int = Field(ge=1)
    status: Literal["succeeded", "failed", "waiting", "queued", "running"]
    text: str | None = None
    extraction_id: str | None = None
    error: dict[str, str] | None = None


class DocumentPagesData(BaseModel):
    """The `data` of a paged document's result (PDFs, multi-page images)."""

    text: str = Field(description="Every page's text in page order, pages separated by form feeds.")
    page_count: int = Field(ge=0)
    failed_pages: list[int]
    pages: list[PageSummary]


class DocumentResultOut(BaseModel):
    """A document's assembled result as the API shows it."""

    document_id: str
    kind: str
    data: dict[str, Any]
    created_at: datetime
