"""The ledger's tables: documents, jobs and extractions."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import JsonColumn, UTCDateTime, utcnow


def new_id() -> str:
    """A new random identifier (UUID4 as text, portable across backends)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Document(Base):
    """One ingested file and its countdown of unfinished jobs."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("collection", "dedupe_key", name="uq_documents_collection_dedupe"),
        Index("ix_documents_status_created", "status", "created_at"),
        Index("ix_documents_collection_created", "collection", "created_at"),
        Index("ix_documents_created_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    collection: Mapped[str] = mapped_column(String(200), default="default")
    filename: Mapped[str | None] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    dedupe_key: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(100))
    options: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    page_count: Mapped[int | None] = mapped_column(Integer)
    jobs_total: Mapped[int] = mapped_column(Integer, default=0)
    jobs_pending: Mapped[int] = mapped_column(Integer, default=0)
    jobs_succeeded: Mapped[int] = mapped_column(Integer, default=0)
    jobs_failed: Mapped[int] = mapped_column(Integer, default=0)
    error_category: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    """0 for an upload; a member of a container is one deeper than its container."""
    root_id: Mapped[str | None] = mapped_column(String(36), index=True)
    """The upload whose expansion created this member (None for an upload): the family whose
    member count and size the container limits bound."""
    children_total: Mapped[int] = mapped_column(Integer, default=0)
    children_pending: Mapped[int] = mapped_column(Integer, default=0)
    """Members not finished yet: the document stays processing until this reaches 0."""
    children_failed: Mapped[int] = mapped_column(Integer, default=0)
    """Members that ended failed or partial, or were refused (the document is then partial)."""
    schema_version: Mapped[int | None] = mapped_column(Integer)
    """The version of the `schema` option's schema the document is extracted with."""

    jobs: Mapped[list["Job"]] = relationship(back_populates="document", lazy="raise")


class DocumentMember(Base):
    """A member of a container (archive member, e-mail attachment) at `position`: the child
    document holding its bytes, or, for a refused member (a link, an unsafe path, encrypted),
    no child and the error. One child may be a member of several containers (same bytes, one
    document per collection); `settled` says the member's end was counted on the container."""

    __tablename__ = "document_members"

    parent_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_id: Mapped[str | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    member_path: Mapped[str] = mapped_column(String(1000))
    settled: Mapped[bool] = mapped_column(default=False)
    error_category: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Job(Base):
    """One chunk of a document (a page, image, frame or speech segment) and its state."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("document_id", "seq", name="uq_jobs_document_seq"),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
        Index("ix_jobs_state_enqueued", "state", "enqueued_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(50))
    budget: Mapped[int | None] = mapped_column(Integer)
    chunk: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waiting_reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(36), index=True)
    """The run (local-tier pages sent, claimed and completed together) the job belongs to."""
    error_category: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    tokens_in: Mapped[int | None] = mapped_column(Integer)
    tokens_out: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(String(200))
    model_calls: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn)
    fell_back: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[Document] = relationship(back_populates="jobs", lazy="raise")


class Extraction(Base):
    """The structured JSON a job produced; exactly one per job."""

    __tablename__ = "extractions"
    __table_args__ = (
        Index("ix_extractions_created_id", "created_at", "id"),
        Index("ix_extractions_kind_created", "kind", "created_at", "id"),
        Index("ix_extractions_engine_created", "engine", "created_at", "id"),
    )
    """Migration 0011 also makes the schema-name index and, per backend, the JSON and
    full-text indexes (storage/search.py)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(50))
    engine: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    provenance: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DocumentResult(Base):
    """The document-level extraction assembled from a finished document's jobs; one per document.

    Migration 0014 adds `change_seq`, stamped by triggers on every insert and on updates of
    kind, data or updated_at (never written by the ORM): exports read it (storage/exports.py)."""

    __tablename__ = "document_results"
    __table_args__ = (Index("ix_document_results_created_id", "created_at", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), unique=True
    )
    kind: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    """1 for the first result; each reprocess makes the next (earlier ones: the history)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DocumentResultHistory(Base):
    """A result a reprocess replaced, kept as it was."""

    __tablename__ = "document_result_history"
    __table_args__ = (
        UniqueConstraint("document_id", "generation", name="uq_result_history_generation"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    generation: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(50))
    data: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    schema_name: Mapped[str | None] = mapped_column(String(64))
    schema_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExtractionSchema(Base):
    """A named JSON schema that documents can ask the model tier to fill, page by page: its
    latest version (every version: `ExtractionSchemaVersion`)."""

    __tablename__ = "extraction_schemas"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    json_schema: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExtractionSchemaVersion(Base):
    """One registered version of a named schema; versions are never changed or removed."""

    __tablename__ = "extraction_schema_versions"

    name: Mapped[str] = mapped_column(
        ForeignKey("extraction_schemas.name", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    json_schema: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A bearer key: its secret is stored only as a SHA-256 digest."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JsonColumn)
    collections: Mapped[list[str] | None] = mapped_column(JsonColumn)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxEntry(Base):
    """A document accepted but not yet handed to the broker: written in the intake transaction,
    deleted once its chunking message is sent (by the API, its retry thread or a reaper)."""

    __tablename__ = "dispatch_outbox"

    document_id: Mapped[str] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Webhook(Base):
    """A receiver of document events. Its secret is kept as given: signing needs the key
    itself (unlike an API key, which is verified against a digest)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list[str]] = mapped_column(JsonColumn)
    collections: Mapped[list[str] | None] = mapped_column(JsonColumn)
    """None: every collection."""
    secret: Mapped[str] = mapped_column(String(256))
    created_by: Mapped[str | None] = mapped_column(String(32))
    """The API key that registered it (None: auth disabled, or the CLI)."""
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    """Deliveries in a row that ended dead; a delivered one resets it."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one webhook: the outbox row the workers send, then its log entry.

    `event_key` names the occurrence (event, document, the document's finished_at), unique per
    webhook, so finalising a document twice records its event once."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_key", name="uq_webhook_deliveries_event"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_lease", "state", "lease_expires_at"),
        Index("ix_webhook_deliveries_log", "webhook_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(50))
    event_key: Mapped[str] = mapped_column(String(200))
    document_id: Mapped[str | None] = mapped_column(String(36))
    """No foreign key: an event outlives the document it tells of."""
    payload: Mapped[dict[str, Any]] = mapped_column(JsonColumn)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
