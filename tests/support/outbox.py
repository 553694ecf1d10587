"""What the outbox tests look at: the outbox rows and the chunking messages in the broker."""

import base64
import json

from sqlalchemy import select

from schemas.tasks import INGEST_QUEUE
from storage.database import SessionFactory, transaction
from storage.models import OutboxEntry
from tests.support.private_redis import PrivateRedis

__all__ = ["chunking_messages", "outbox_entries"]


def outbox_entries(sessions: SessionFactory) -> list[tuple[str, int, str | None]]:
    """(document id, attempts, last error) of every outbox row."""
    with transaction(sessions) as session:
        rows = session.execute(
            select(OutboxEntry.document_id, OutboxEntry.attempts, OutboxEntry.last_error)
        )
        return [(document_id, attempts, error) for document_id, attempts, error in rows]


def chunking_messages(broker: PrivateRedis) -> list[tuple[str, dict[str, str]]]:
    """(task name, kwargs) of every message waiting in the ingest queue."""
    client = broker.client()
    try:
        raw = client.lrange(INGEST_QUEUE, 0, -1)
    finally:
        client.close()
    messages = []
    for item in raw:
        message = json.loads(item)
        _, kwargs, _ = json.loads(base64.b64decode(message["body"]))
        messages.append((message["headers"]["task"], kwargs))
    return messages
