"""Bodies of the document-level result listing (GET /v1/results)."""

from datetime import datetime

from pydantic import BaseModel, Field

from schemas.enums import DocumentStatus


class ResultSummaryOut(BaseModel):
    """A finished document's result in a listing: GET /v1/documents/{id}/result has its data."""

    document_id: str
    kind: str = Field(description="document_pages, transcript or video_timeline.")
    collection: str
    filename: str | None
    media_type: str | None
    status: DocumentStatus
    page_count: int | None
    schema_name: str | None = Field(
        serialization_alias="schema", description="The schema the document asked for."
    )
    created_at: datetime
    updated_at: datetime
    rank: float | None = Field(
        default=None,
        description="With q: relevance, larger is better (ts_rank on PostgreSQL, bm25 on SQLite).",
    )


class ResultPage(BaseModel):
    """One page of the result listing."""

    items: list[ResultSummaryOut]
    next_cursor: str | None
