"""Retention: documents older than their collection's retention are deleted, with everything
that belongs to them (`storage/deletion.py`). Age is counted from `created_at`."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select

from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import SessionFactory, transaction
from storage.deletion import DELETE_BATCH, DeletionReport, delete_documents
from storage.models import Document
from storage.types import utcnow


@dataclass(frozen=True)
class RetentionPolicy:
    """Days to keep documents: `default_days` for every collection not named in
    `by_collection`; None keeps them until deleted."""

    default_days: float | None = None
    by_collection: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def deletes_anything(self) -> bool:
        """False when every collection is kept forever (nothing to sweep)."""
        days = [self.default_days, *self.by_collection.values()]
        return any(value is not None for value in days)


def _expired(policy: RetentionPolicy, now: datetime) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = []
    for collection, days in policy.by_collection.items():
        if days is not None:
            cutoff = now - timedelta(days=days)
            conditions.append(and_(Document.collection == collection, Document.created_at < cutoff))
    if policy.default_days is not None:
        cutoff = now - timedelta(days=policy.default_days)
        named = list(policy.by_collection)
        conditions.append(
            and_(Document.collection.not_in(named), Document.created_at < cutoff)
            if named
            else Document.created_at < cutoff
        )
    return or_(false(), *conditions)


def expired_documents(
    sessions: SessionFactory,
    policy: RetentionPolicy,
    now: datetime | None = None,
    limit: int = DELETE_BATCH,
) -> list[str]:
    """Up to `limit` ids of documents past their retention, oldest first."""
    with transaction(sessions) as session:
        query = (
            select(Document.id)
            .where(_expired(policy, now or utcnow()))
            .order_by(Document.created_at)
            .limit(limit)
        )
        return list(session.scalars(query))


def apply_retention(
    sessions: SessionFactory,
    blobs: BlobStore,
    policy: RetentionPolicy,
    now: datetime | None = None,
    batch: int = DELETE_BATCH,
) -> DeletionReport:
    """Delete every document past its retention, `batch` per transaction."""
    deleted: list[str] = []
    removed = 0
    if not policy.deletes_anything:
        return DeletionReport(documents=deleted, blobs_removed=removed)
    moment = now or utcnow()
    while ids := expired_documents(sessions, policy, moment, batch):
        report = delete_documents(sessions, blobs, ids)
        deleted += report.documents
        removed += report.blobs_removed
    return DeletionReport(documents=deleted, blobs_removed=removed)


def policy_of(settings: Settings) -> RetentionPolicy:
    """The policy set by `RETENTION_DAYS` and `RETENTION_DAYS_BY_COLLECTION`."""
    return RetentionPolicy(
        default_days=settings.retention_days,
        by_collection=dict(settings.retention_days_by_collection),
    )
