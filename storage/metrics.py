"""The ledger's counts behind /metrics: documents by status, jobs by state and tier, model
tokens by tier, and the dispatch outbox's backlog."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Document, Job, OutboxEntry
from storage.types import utcnow


@dataclass(frozen=True)
class DocumentsInStatus:
    """How many documents have one status."""

    status: str
    count: int


@dataclass(frozen=True)
class JobsInState:
    """How many jobs of one tier are in one state."""

    state: str
    tier: str
    count: int


@dataclass(frozen=True)
class TierTokens:
    """Model tokens one tier's jobs used, in and out."""

    tier: str
    tokens_in: int
    tokens_out: int


@dataclass(frozen=True)
class LedgerCounts:
    """The counts, in the order the database grouped them."""

    documents: list[DocumentsInStatus]
    jobs: list[JobsInState]
    tokens: list[TierTokens]


def ledger_counts(session: Session, collections: frozenset[str] | None = None) -> LedgerCounts:
    """Count documents by status, jobs by state and tier, and tokens by tier; only the
    documents (and their jobs) of `collections` when given."""
    documents_query = select(Document.status, func.count()).group_by(Document.status)
    jobs_query = select(Job.state, Job.tier, func.count()).group_by(Job.state, Job.tier)
    tokens_query = select(
        Job.tier,
        func.coalesce(func.sum(Job.tokens_in), 0),
        func.coalesce(func.sum(Job.tokens_out), 0),
    ).group_by(Job.tier)
    if collections is not None:
        within = Document.collection.in_(sorted(collections))
        documents_query = documents_query.where(within)
        jobs_query = jobs_query.join(Document, Document.id == Job.document_id).where(within)
        tokens_query = tokens_query.join(Document, Document.id == Job.document_id).where(within)
    documents = session.execute(documents_query)
    jobs = session.execute(jobs_query)
    tokens = session.execute(tokens_query)
    return LedgerCounts(
        documents=[DocumentsInStatus(status, count) for status, count in documents],
        jobs=[JobsInState(state, tier, count) for state, tier, count in jobs],
        tokens=[
            TierTokens(tier, used_in or 0, used_out or 0) for tier, used_in, used_out in tokens
        ],
    )


@dataclass(frozen=True)
class OutboxBacklog:
    """Accepted documents whose chunking message is not sent yet, and how long the oldest has
    waited (0 when none does)."""

    pending: int
    oldest_seconds: float


def outbox_backlog(session: Session, now: datetime | None = None) -> OutboxBacklog:
    """The outbox's size and the age of its oldest entry at `now` (default: the current time);
    over every collection."""
    pending, oldest = session.execute(
        select(func.count(), func.min(OutboxEntry.created_at)).select_from(OutboxEntry)
    ).one()
    if oldest is None:
        return OutboxBacklog(pending=0, oldest_seconds=0.0)
    age = ((now or utcnow()) - oldest).total_seconds()
    return OutboxBacklog(pending=int(pending), oldest_seconds=max(age, 0.0))
