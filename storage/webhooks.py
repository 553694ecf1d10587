"""Registered webhooks and their delivery log: create, list, show, delete, re-enable.

The secret is stored as given (generated when the caller sends none): deliveries are signed
with HMAC-SHA256, which needs the key itself, so unlike API keys it cannot be kept as a digest.
Whoever reads the ledger can sign as Greenhouse; the API shows a secret only when it is created.
"""

import secrets
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.models import Webhook, WebhookDelivery
from storage.types import utcnow

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
LIST_LIMIT = 1000


def new_secret() -> str:
    """A random signing secret (256 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)


def create_webhook(
    session: Session,
    *,
    url: str,
    events: list[str],
    collections: list[str] | None,
    secret: str,
    created_by: str | None,
) -> Webhook:
    """Register an enabled webhook."""
    webhook = Webhook(
        url=url,
        events=sorted(set(events)),
        collections=sorted(set(collections)) if collections is not None else None,
        secret=secret,
        created_by=created_by,
        enabled=True,
        consecutive_failures=0,
        created_at=utcnow(),
    )
    session.add(webhook)
    session.flush()
    return webhook


def list_webhooks(session: Session) -> list[Webhook]:
    """Every webhook, oldest first (at most LIST_LIMIT)."""
    query = select(Webhook).order_by(Webhook.created_at, Webhook.id).limit(LIST_LIMIT)
    return list(session.scalars(query))


def get_webhook(session: Session, webhook_id: str) -> Webhook | None:
    """One webhook, fresh from the database."""
    return session.get(Webhook, webhook_id, populate_existing=True)


def delete_webhook(session: Session, webhook_id: str) -> Webhook | None:
    """Delete a webhook and its deliveries (a delivery in flight then records nothing)."""
    webhook = get_webhook(session, webhook_id)
    if webhook is not None:
        session.delete(webhook)
        session.flush()
    return webhook


def enable_webhook(session: Session, webhook_id: str) -> Webhook | None:
    """Re-enable a webhook (its failure count starts again); None when it does not exist."""
    session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(enabled=True, disabled_at=None, disabled_reason=None, consecutive_failures=0)
    )
    return get_webhook(session, webhook_id)


def list_deliveries(
    session: Session,
    webhook_id: str,
    *,
    state: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[WebhookDelivery]:
    """A webhook's deliveries, newest first, keyset-paginated on (created_at, id)."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    if after is not None:
        created_at, delivery_id = after
        query = query.where(
            or_(
                WebhookDelivery.created_at < created_at,
                (WebhookDelivery.created_at == created_at) & (WebhookDelivery.id < delivery_id),
            )
        )
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    return list(session.scalars(query.limit(limit)))
