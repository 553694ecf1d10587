"""Bodies returned by the REST API."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator

from schemas.enums import ChunkKind, DocumentStatus, ErrorCategory, JobState, Tier
from schemas.text_rules import text_problem


class ErrorInfo(BaseModel):
    """An error stored on a job or document."""

    category: ErrorCategory | str
    message: str


class JobCounts(BaseModel):
    """How many jobs of a document are in each state."""

    total: int = 0
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    waiting: int = 0


class DocumentChild(BaseModel):
    """One member of a container: its document, or none when the member was refused (a link,
    an unsafe path, an encrypted member: see `error`)."""

    position: int
    member_path: str
    id: str | None
    filename: str | None
    status: DocumentStatus
    media_type: str | None
    error: ErrorInfo | None


class DocumentOut(BaseModel):
    """A document as the API shows it."""

    id: str
    collection: str
    filename: str | None
    sha256: str
    size_bytes: int
    media_type: str | None
    status: DocumentStatus
    page_count: int | None
    options: dict[str, Any]
    jobs: JobCounts
    error: ErrorInfo | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    duplicate_of: str | None = None
    parent_id: str | None = None
    """The container (archive, e-mail) this document is a member of; the first one when
    several hold the same bytes."""
    member_path: str | None = None
    """The member's path inside that container."""
    depth: int = 0
    """0 for an upload; one more per container level."""
    schema_version: int | None = None
    """The version of the `schema` option's schema the document is extracted with."""
    children: list[DocumentChild] | None = None
    """A container's members in order (on `GET /v1/documents/{id}` only; null in listings)."""


class DocumentPage(BaseModel):
    """One page of a cursor-paginated document listing."""

    items: list[DocumentOut]
    next_cursor: str | None


class JobOut(BaseModel):
    """A job as the API shows it."""

    id: str
    document_id: str
    seq: int
    kind: ChunkKind
    tier: Tier
    budget: int | None
    state: JobState
    attempts: int
    lease_owner: str | None = Field(description="The worker holding it (admin keys only).")
    lease_expires_at: datetime | None
    error: ErrorInfo | None
    chunk: dict[str, Any]
    tokens_in: int | None
    tokens_out: int | None
    latency_ms: float | None
    model: str | None
    fell_back: bool = Field(
        description="The model tier failed every attempt; the local engine ran."
    )
    model_calls: dict[str, Any] | None = Field(description="Every model attempt of the job.")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class ExtractionOut(BaseModel):
    """A stored extraction."""

    id: str
    job_id: str
    document_id: str
    kind: str
    data: dict[str, Any]
    provenance: dict[str, Any]
    created_at: datetime
    rank: float | None = Field(
        default=None,
        description="With q: relevance, larger is better (ts_rank on PostgreSQL, bm25 on SQLite).",
    )


class ExtractionPage(BaseModel):
    """One page of a cursor-paginated extraction listing."""

    items: list[ExtractionOut]
    next_cursor: str | None


class ReadinessOut(BaseModel):
    """GET /readyz: 200 when every check is "ok", 503 otherwise (same body)."""

    status: str = Field(description="ready or not_ready")
    checks: dict[str, str] = Field(description="database (and broker): ok, or why not")


class ErrorInfoOut(BaseModel):
    """What went wrong with a request."""

    code: str = Field(description="Stable, machine-readable: e.g. not_found, invalid_request.")
    message: str = Field(description="For people; may change between versions.")
    detail: Any = Field(
        default=None, description="Optional extra, e.g. the invalid fields or JSON pointers."
    )
    request_id: str = Field(description="Also in the X-Request-ID header; quote it in reports.")


class ErrorBody(BaseModel):
    """The stable shape of every API error."""

    error: ErrorInfoOut


SCHEMA_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class SchemaIn(BaseModel):
    """A JSON schema to register for structured extraction."""

    name: str = Field(pattern=SCHEMA_NAME_PATTERN)
    json_schema: dict[str, Any] = Field(description="Must stay inside what xgrammar enforces.")
    description: str | None = Field(default=None, max_length=2000)

    @field_validator("description")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        problem = None if value is None else text_problem(value)
        if problem is not None:
            raise ValueError(f"the description {problem}")
        return value


class SchemaVersionSummary(BaseModel):
    """One registered version of a schema."""

    version: int = Field(ge=1)
    created_at: datetime


class SchemaOut(SchemaIn):
    """A registered schema: its latest version, and which versions exist."""

    created_at: datetime
    version: int = Field(default=1, ge=1, description="The latest version (1 for the first).")
    versions: list[SchemaVersionSummary] = Field(
        default_factory=list, description="Every version, oldest first."
    )


class SchemaVersionOut(SchemaIn):
    """One version of a registered schema, as it was registered."""

    version: int = Field(ge=1)
    created_at: datetime


class SchemaSummary(BaseModel):
    """A registered schema in a listing: GET /v1/schemas/{name} has its body."""

    name: str
    description: str | None
    created_at: datetime


class SchemaPage(BaseModel):
    """One page of the schema listing, by name."""

    items: list[SchemaSummary]
    next_cursor: str | None
