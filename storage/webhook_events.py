"""Recording a document's event for the webhooks that want it, in the transaction that finishes
the document: its result's (finalisation) or its failure's (failed before any job existed).

One delivery row per enabled webhook whose events and collections match. The row's `event_key`
names the occurrence (event, document, the document's `finished_at`), unique per webhook: a
document finalised twice (its finaliser and a reaper) records its event once, and nothing is
lost, since the event commits or rolls back with the transition itself.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from schemas.enums import DocumentStatus
from schemas.webhooks import (
    PING_EVENT,
    DeliveryState,
    WebhookDocument,
    WebhookPayload,
    event_of_status,
)
from storage.models import Document, DocumentResult, Webhook, WebhookDelivery, new_id
from storage.types import utcnow

RESULT_PATH = "/v1/documents/{document_id}/result"


def record_document_events(session: Session, document_id: str) -> int:
    """Queue the event of a terminal document for every matching enabled webhook; returns how
    many deliveries were added (0 for a document that is not terminal, or already recorded)."""
    document = session.scalars(
        select(Document).where(Document.id == document_id).execution_options(populate_existing=True)
    ).first()
    if document is None:
        return 0
    event = event_of_status(document.status)
    if event is None:
        return 0
    webhooks = session.execute(
        select(Webhook.id, Webhook.events, Webhook.collections).where(Webhook.enabled.is_(True))
    ).all()
    targets = [
        webhook_id
        for webhook_id, events, collections in webhooks
        if event.value in events and (collections is None or document.collection in collections)
    ]
    if not targets:
        return 0
    has_result = bool(
        session.scalar(select(exists().where(DocumentResult.document_id == document_id)))
    )
    occurred_at = document.finished_at or utcnow()
    payload = WebhookPayload(
        event=event.value,
        occurred_at=occurred_at,
        document=WebhookDocument(
            id=document.id,
            collection=document.collection,
            status=DocumentStatus(document.status),
            filename=document.filename,
            media_type=document.media_type,
            page_count=document.page_count,
            jobs_total=document.jobs_total,
            jobs_succeeded=document.jobs_succeeded,
            jobs_failed=document.jobs_failed,
            error_category=document.error_category,
            error_message=document.error_message,
            created_at=document.created_at,
            finished_at=document.finished_at,
            result_path=RESULT_PATH.format(document_id=document.id) if has_result else None,
        ),
    ).model_dump(mode="json")
    key = f"{event.value}/{document.id}/{occurred_at.isoformat()}"
    rows = [_row(webhook_id, event.value, key, document.id, payload) for webhook_id in targets]
    return add_deliveries(session, rows)


def add_ping(session: Session, webhook_id: str) -> WebhookDelivery:
    """A ping event for one webhook (POST /v1/webhooks/{id}/test)."""
    ping = WebhookPayload(event=PING_EVENT, occurred_at=utcnow(), document=None)
    payload = ping.model_dump(mode="json")
    row = _row(webhook_id, PING_EVENT, f"{PING_EVENT}/{new_id()}", None, payload)
    session.execute(insert(WebhookDelivery).values(row))
    delivery = session.get(WebhookDelivery, row["id"])
    assert delivery is not None
    return delivery


def add_deliveries(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert delivery rows, skipping any whose (webhook, event_key) exists; returns how many
    were inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = (
            postgres_insert(WebhookDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["webhook_id", "event_key"])
        )
    elif dialect == "sqlite":
        statement = (
            sqlite_insert(WebhookDelivery)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["webhook_id", "event_key"])
        )
    else:
        raise NotImplementedError(f"webhook events on {dialect}")
    inserted = session.execute(statement.returning(WebhookDelivery.id)).all()
    return len(inserted)


def _row(
    webhook_id: str,
    event: str,
    key: str,
    document_id: str | None,
    payload: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "id": new_id(),
        "webhook_id": webhook_id,
        "event": event,
        "event_key": key,
        "document_id": document_id,
        "payload": payload,
        "state": DeliveryState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
