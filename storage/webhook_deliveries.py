"""The webhook outbox: claiming due deliveries under a lease and recording how they went.

A delivery is due when pending or failed with `next_attempt_at` passed, or delivering with
its lease expired (its deliverer died), and its webhook is enabled. Claims take rows with
FOR UPDATE SKIP LOCKED (PostgreSQL; SQLite's writers run one at a time), so two deliverers never
claim one row at once, and each claim counts an attempt. A delivered row is never due again.
A success is recorded whoever holds the lease (the receiver has it, whatever else happened);
a failure only by the lease holder. A delivery that ends dead counts against its webhook, and
`disable_after` dead deliveries in a row disable it; a success resets the count.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from schemas.webhooks import DeliveryState
from storage.models import Webhook, WebhookDelivery
from storage.types import utcnow

ERROR_TEXT_LIMIT = 1000
ABANDONED_ERROR = "the deliverer stopped during the last attempt"


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery: what to send, where, and which attempt this is."""

    id: str
    webhook_id: str
    url: str
    secret: str
    event: str
    payload: dict[str, Any]
    attempt: int


@dataclass(frozen=True)
class FailureOutcome:
    """Whether the failure was recorded, whether the delivery is dead, and whether that
    disabled its webhook."""

    recorded: bool
    dead: bool = False
    disabled_webhook: bool = False


def claim_due(
    session: Session,
    owner: str,
    *,
    lease_seconds: float,
    max_attempts: int,
    disable_after: int,
    limit: int,
) -> list[DueDelivery]:
    """Lease up to `limit` due deliveries to `owner`, oldest due first, counting an attempt.

    A delivering row whose lease expired after its last allowed attempt is buried as dead."""
    now = utcnow()
    _bury_abandoned(session, now, max_attempts, disable_after)
    expired = and_(
        WebhookDelivery.state == DeliveryState.DELIVERING,
        WebhookDelivery.lease_expires_at < now,
    )
    waiting = and_(
        WebhookDelivery.state.in_([DeliveryState.PENDING, DeliveryState.FAILED]),
        WebhookDelivery.next_attempt_at <= now,
    )
    ids = list(
        session.scalars(
            select(WebhookDelivery.id)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(or_(waiting, expired), Webhook.enabled.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    )
    if not ids:
        return []
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(
            state=DeliveryState.DELIVERING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=WebhookDelivery.attempts + 1,
            last_attempt_at=now,
        )
    )
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.webhook_id,
            Webhook.url,
            Webhook.secret,
            WebhookDelivery.event,
            WebhookDelivery.payload,
            WebhookDelivery.attempts,
        )
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    ).all()
    return [DueDelivery(*row) for row in rows]


def record_delivered(session: Session, delivery_id: str, status_code: int) -> bool:
    """A 2xx: the delivery is delivered (whoever held its lease) and its webhook's count of
    failures starts again. False when it was already delivered or is gone."""
    now = utcnow()
    row = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state != DeliveryState.DELIVERED,
        )
        .values(
            state=DeliveryState.DELIVERED,
            delivered_at=now,
            last_status_code=status_code,
            last_error=None,
            lease_owner=None,
            lease_expires_at=None,
        )
        .returning(WebhookDelivery.webhook_id)
    ).first()
    if row is None:
        return False
    session.execute(update(Webhook).where(Webhook.id == row[0]).values(consecutive_failures=0))
    return True


def record_failed(
    session: Session,
    delivery_id: str,
    owner: str,
    *,
    status_code: int | None,
    error: str,
    retry_at: datetime | None,
    disable_after: int,
) -> FailureOutcome:
    """A failed attempt: retried at `retry_at`, or dead when it is None. Only `owner`'s lease
    records it (a delivery taken over or delivered meanwhile is left alone)."""
    row = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state == DeliveryState.DELIVERING,
            WebhookDelivery.lease_owner == owner,
        )
        .values(
            state=DeliveryState.FAILED if retry_at is not None else DeliveryState.DEAD,
            next_attempt_at=retry_at if retry_at is not None else WebhookDelivery.next_attempt_at,
            last_status_code=status_code,
            last_error=error[:ERROR_TEXT_LIMIT],
            lease_owner=None,
            lease_expires_at=None,
        )
        .returning(WebhookDelivery.webhook_id)
    ).first()
    if row is None:
        return FailureOutcome(recorded=False)
    if retry_at is not None:
        return FailureOutcome(recorded=True)
    disabled = _count_dead(session, row[0], error, disable_after)
    return FailureOutcome(recorded=True, dead=True, disabled_webhook=disabled)


def prune_settled(session: Session, older_than_seconds: float) -> int:
    """Delete delivered and dead deliveries created more than `older_than_seconds` ago (the
    log's retention); returns how many."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    pruned = session.execute(
        delete(WebhookDelivery)
        .where(
            WebhookDelivery.state.in_([DeliveryState.DELIVERED, DeliveryState.DEAD]),
            WebhookDelivery.created_at < cutoff,
        )
        .returning(WebhookDelivery.id)
    ).all()
    return len(pruned)


def _bury_abandoned(session: Session, now: datetime, max_attempts: int, disable_after: int) -> None:
    """Deliveries whose deliverer died during their last allowed attempt end dead."""
    rows = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.state == DeliveryState.DELIVERING,
            WebhookDelivery.lease_expires_at < now,
            WebhookDelivery.attempts >= max_attempts,
        )
        .values(
            state=DeliveryState.DEAD,
            last_error=ABANDONED_ERROR,
            lease_owner=None,
            lease_expires_at=None,
        )
        .returning(WebhookDelivery.webhook_id)
    ).all()
    for (webhook_id,) in rows:
        _count_dead(session, webhook_id, ABANDONED_ERROR, disable_after)


def _count_dead(session: Session, webhook_id: str, error: str, disable_after: int) -> bool:
    """Count a dead delivery against its webhook; True when that disabled it."""
    failures = session.scalar(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(consecutive_failures=Webhook.consecutive_failures + 1)
        .returning(Webhook.consecutive_failures)
    )
    if failures is None or failures < disable_after:
        return False
    disabled = session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.enabled.is_(True))
        .values(
            enabled=False,
            disabled_at=utcnow(),
            disabled_reason=(
                f"{failures} deliveries in a row failed every attempt; the last: {error}"[
                    :ERROR_TEXT_LIMIT
                ]
            ),
        )
        .returning(Webhook.id)
    ).first()
    return disabled is not None
