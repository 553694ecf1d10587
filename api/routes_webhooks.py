"""/v1/webhooks: register, list, show, delete and re-enable webhooks, ping one, read its log.

Every route needs the admin scope: a webhook makes the workers send requests to any address
they can reach (targets are not restricted by address: on-prem receivers are usually internal),
and it may report on every collection it names, so only admins decide who receives what.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import AdminCaller
from api.errors import ApiError, not_found
from api.openapi import errors
from api.pagination import decode_cursor, encode_cursor
from api.state import ApiState, api_state
from schemas.webhooks import (
    DeliveryOut,
    DeliveryPage,
    DeliveryState,
    WebhookCreated,
    WebhookEvent,
    WebhookIn,
    WebhookOut,
)
from storage.database import transaction
from storage.models import Webhook, WebhookDelivery
from storage.webhook_events import add_ping
from storage.webhooks import (
    create_webhook,
    delete_webhook,
    enable_webhook,
    get_webhook,
    list_deliveries,
    list_webhooks,
    new_secret,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
State = Annotated[ApiState, Depends(api_state)]
_SETTLED = (DeliveryState.DELIVERED, DeliveryState.DEAD)


@router.post("", status_code=201, response_model=WebhookCreated)
def create(body: WebhookIn, caller: AdminCaller, state: State) -> WebhookCreated:
    """Register a webhook; `secret` (the one sent, or a generated one) is shown only here."""
    secret = body.secret or new_secret()
    with transaction(state.sessions) as session:
        webhook = create_webhook(
            session,
            url=body.url,
            events=[event.value for event in body.events],
            collections=body.collections,
            secret=secret,
            created_by=caller.key_id,
        )
        shown = webhook_out(webhook)
    return WebhookCreated(**shown.model_dump(), secret=secret)


@router.get("", response_model=list[WebhookOut])
def list_all(caller: AdminCaller, state: State) -> list[WebhookOut]:
    """Every webhook, oldest first; never a secret."""
    del caller
    with transaction(state.sessions) as session:
        return [webhook_out(webhook) for webhook in list_webhooks(session)]


@router.get("/{webhook_id}", response_model=WebhookOut, responses=errors(404))
def show(webhook_id: str, caller: AdminCaller, state: State) -> WebhookOut:
    """One webhook: whether it is enabled, and why not."""
    del caller
    with transaction(state.sessions) as session:
        webhook = get_webhook(session, webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook_out(webhook)


@router.delete("/{webhook_id}", response_model=WebhookOut, responses=errors(404))
def delete(webhook_id: str, caller: AdminCaller, state: State) -> WebhookOut:
    """Delete a webhook with its delivery log; deliveries not yet sent are dropped."""
    del caller
    with transaction(state.sessions) as session:
        webhook = delete_webhook(session, webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook_out(webhook)


@router.post("/{webhook_id}/enable", response_model=WebhookOut, responses=errors(404))
def enable(webhook_id: str, caller: AdminCaller, state: State) -> WebhookOut:
    """Enable a webhook again (after it was disabled for failing); its pending deliveries go
    out again and its failure count starts from zero."""
    del caller
    with transaction(state.sessions) as session:
        webhook = enable_webhook(session, webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        return webhook_out(webhook)


@router.post(
    "/{webhook_id}/test", status_code=202, response_model=DeliveryOut, responses=errors(404, 409)
)
def ping(webhook_id: str, caller: AdminCaller, state: State) -> DeliveryOut:
    """Queue a `ping` delivery (no document) for the workers to send; 409 when disabled."""
    del caller
    with transaction(state.sessions) as session:
        webhook = get_webhook(session, webhook_id)
        if webhook is None:
            raise not_found("webhook", webhook_id)
        if not webhook.enabled:
            raise ApiError(409, "webhook_disabled", "enable the webhook before testing it")
        return delivery_out(add_ping(session, webhook_id))


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage, responses=errors(400, 404))
def deliveries(
    webhook_id: str,
    caller: AdminCaller,
    state: State,
    delivery_state: Annotated[DeliveryState | None, Query(alias="state")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> DeliveryPage:
    """The webhook's delivery log, newest first; pass `next_cursor` back as `cursor`."""
    del caller
    after = decode_cursor(cursor) if cursor else None
    with transaction(state.sessions) as session:
        if get_webhook(session, webhook_id) is None:
            raise not_found("webhook", webhook_id)
        rows = list_deliveries(
            session,
            webhook_id,
            state=delivery_state.value if delivery_state is not None else None,
            after=after,
            limit=limit + 1,
        )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more else None
    return DeliveryPage(items=[delivery_out(row) for row in page], next_cursor=next_cursor)


def webhook_out(webhook: Webhook) -> WebhookOut:
    """A stored webhook as shown: never its secret."""
    return WebhookOut(
        id=webhook.id,
        url=webhook.url,
        events=[WebhookEvent(event) for event in webhook.events],
        collections=webhook.collections,
        enabled=webhook.enabled,
        disabled_at=webhook.disabled_at,
        disabled_reason=webhook.disabled_reason,
        consecutive_failures=webhook.consecutive_failures,
        created_by=webhook.created_by,
        created_at=webhook.created_at,
    )


def delivery_out(row: WebhookDelivery) -> DeliveryOut:
    """A delivery as the log shows it."""
    state = DeliveryState(row.state)
    return DeliveryOut(
        id=row.id,
        webhook_id=row.webhook_id,
        event=row.event,
        document_id=row.document_id,
        state=state,
        attempts=row.attempts,
        next_attempt_at=None if state in _SETTLED else row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        payload=row.payload,
    )
