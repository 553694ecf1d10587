"""Webhooks: the events, the delivery states, what a delivery's body holds, and the API bodies.

Targets are http(s) URLs without credentials, at most URL_MAX_LENGTH characters; they are not
restricted by address (on-prem receivers are usually internal), so only admin keys register them.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.document_options import COLLECTION_MAX_LENGTH
from schemas.enums import DocumentStatus
from schemas.text_rules import text_problem

URL_MAX_LENGTH = 2000
SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 256
COLLECTIONS_MAX = 100
ALLOWED_SCHEMES = frozenset({"http", "https"})
PING_EVENT = "ping"
"""The event of POST /v1/webhooks/{id}/test; nobody subscribes to it."""


class WebhookEvent(StrEnum):
    """What a webhook may subscribe to."""

    DOCUMENT_FINISHED = "document.finished"
    """done or partial."""
    DOCUMENT_FAILED = "document.failed"


class DeliveryState(StrEnum):
    """pending -> delivering (leased) -> delivered | failed (retry later) | dead (gave up)."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


def event_of_status(status: str) -> WebhookEvent | None:
    """The event a terminal document status raises; None for a status that is not terminal."""
    if status in (DocumentStatus.DONE, DocumentStatus.PARTIAL):
        return WebhookEvent.DOCUMENT_FINISHED
    if status == DocumentStatus.FAILED:
        return WebhookEvent.DOCUMENT_FAILED
    return None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook target, or None when it can."""
    if len(url) > URL_MAX_LENGTH:
        return f"is longer than {URL_MAX_LENGTH} characters"
    if text_problem(url) is not None or not url.isprintable() or any(c.isspace() for c in url):
        return "holds spaces or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a valid URL"
    del port
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "must use http or https"
    if "@" in parts.netloc:
        return "must not carry credentials (user:password@)"
    if not parts.hostname:
        return "has no host"
    if parts.fragment:
        return "must not have a #fragment"
    return None


def secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign deliveries, or None when it can."""
    if not SECRET_MIN_LENGTH <= len(secret) <= SECRET_MAX_LENGTH:
        return f"must be {SECRET_MIN_LENGTH} to {SECRET_MAX_LENGTH} characters long"
    if not all("!" <= character <= "~" for character in secret):
        return "must be printable ASCII without spaces"
    return None


class WebhookDocument(BaseModel):
    """The document an event tells of."""

    id: str
    collection: str
    status: DocumentStatus
    filename: str | None
    media_type: str | None
    page_count: int | None
    jobs_total: int
    jobs_succeeded: int
    jobs_failed: int
    error_category: str | None
    error_message: str | None
    created_at: datetime
    finished_at: datetime | None
    result_path: str | None = Field(description="GET it for the result (null: none was made).")


class WebhookPayload(BaseModel):
    """The JSON body of every delivery."""

    event: str = Field(description="document.finished, document.failed or ping")
    occurred_at: datetime
    document: WebhookDocument | None = Field(description="null for ping")


class WebhookIn(BaseModel):
    """A webhook to register; without `secret` one is generated (returned only in the answer)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"url": "https://hooks.lan/gh", "events": ["document.finished"]}]
        }
    )

    url: str = Field(min_length=1, max_length=URL_MAX_LENGTH, examples=["https://hooks.lan/gh"])
    events: list[WebhookEvent] = Field(
        min_length=1, max_length=len(WebhookEvent), examples=[["document.finished"]]
    )
    collections: list[str] | None = Field(
        default=None, max_length=COLLECTIONS_MAX, description="null: every collection"
    )
    secret: str | None = Field(
        default=None, min_length=SECRET_MIN_LENGTH, max_length=SECRET_MAX_LENGTH
    )

    @field_validator("url")
    @classmethod
    def _target(cls, value: str) -> str:
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(f"the url {problem}")
        return value

    @field_validator("collections")
    @classmethod
    def _collections(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("give collection names, or null for every collection")
        for name in value:
            if not 1 <= len(name) <= COLLECTION_MAX_LENGTH or text_problem(name) is not None:
                raise ValueError(f"collection names are 1 to {COLLECTION_MAX_LENGTH} characters")
        return sorted(set(value))

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        problem = None if value is None else secret_problem(value)
        if problem is not None:
            raise ValueError(f"the secret {problem}")
        return value


class WebhookOut(BaseModel):
    """A registered webhook; never its secret."""

    id: str
    url: str
    events: list[WebhookEvent]
    collections: list[str] | None = Field(description="null: every collection")
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    consecutive_failures: int = Field(description="Deliveries in a row that ended dead.")
    created_by: str | None = Field(description="The id of the key that registered it.")
    created_at: datetime


class WebhookCreated(WebhookOut):
    """A webhook just registered: `secret` signs its deliveries and is shown this once."""

    secret: str


class DeliveryOut(BaseModel):
    """One delivery of an event to a webhook, as the log shows it."""

    id: str = Field(description="Sent as the Greenhouse-Delivery header: receivers dedupe on it.")
    webhook_id: str
    event: str
    document_id: str | None
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(description="When a pending or failed one is due.")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class DeliveryPage(BaseModel):
    """One page of a webhook's delivery log, newest first."""

    items: list[DeliveryOut]
    next_cursor: str | None
