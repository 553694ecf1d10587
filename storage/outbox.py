"""The dispatch outbox: a document is accepted in the same transaction that records its
pending chunking message, so a broker outage can delay the work but never lose it.

The API and `greenhouse ingest` (with a broker) send the message right after the commit and
delete the entry; when the broker is down the entry stays, and the API's retry thread and every
worker's reaper flush it as soon as the broker answers. Entries are taken with FOR UPDATE SKIP
LOCKED (PostgreSQL), so two flushers never send the same one; a duplicate message would be
harmless anyway (the chunking claim admits one). Deleting a document deletes its entry
(foreign key cascade).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.database import SessionFactory, transaction
from storage.models import OutboxEntry

FLUSH_BATCH = 200
ERROR_TEXT_LIMIT = 1000


@dataclass(frozen=True)
class FlushResult:
    """The documents whose message was sent, and the error that stopped the flush, if any."""

    sent: list[str]
    error: str | None = None


def add_entry(session: Session, document_id: str) -> None:
    """Record that the document's chunking message is still to be sent."""
    session.add(OutboxEntry(document_id=document_id))
    session.flush()


def ensure_entry(session: Session, document_id: str) -> None:
    """Record the document's chunking message as pending unless it already is."""
    if session.get(OutboxEntry, document_id) is None:
        add_entry(session, document_id)


def pending_count(session: Session) -> int:
    """How many accepted documents wait for their message."""
    return int(session.scalar(select(func.count()).select_from(OutboxEntry)) or 0)


def flush_outbox(
    sessions: SessionFactory,
    send: Callable[[str], None],
    document_ids: Sequence[str] | None = None,
    limit: int = FLUSH_BATCH,
) -> FlushResult:
    """Send the pending messages (oldest first; only `document_ids` when given) and delete
    their entries. The first failed send stops the flush: it is counted on the entry with its
    error, and the rest wait for the next flush."""
    sent: list[str] = []
    error: str | None = None
    with transaction(sessions) as session:
        query = select(OutboxEntry.document_id).order_by(OutboxEntry.created_at).limit(limit)
        if document_ids is not None:
            query = query.where(OutboxEntry.document_id.in_(list(document_ids)))
        pending = list(session.scalars(query.with_for_update(skip_locked=True)))
        for document_id in pending:
            try:
                send(document_id)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                session.execute(
                    update(OutboxEntry)
                    .where(OutboxEntry.document_id == document_id)
                    .values(attempts=OutboxEntry.attempts + 1, last_error=error[:ERROR_TEXT_LIMIT])
                )
                break
            sent.append(document_id)
        if sent:
            session.execute(delete(OutboxEntry).where(OutboxEntry.document_id.in_(sent)))
    return FlushResult(sent=sent, error=error)
