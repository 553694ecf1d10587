"""Who may remove a blob: documents share blobs by content, so a blob goes only with its last
document, and never while an intake that will reference it is under way.

Intake (place a staged blob, insert its document) and removal (delete documents, detach each
blob no document references any more) hold a per-blob lock inside their transaction: a
PostgreSQL transaction-scoped advisory lock keyed by the digest; on SQLite every write
transaction already runs alone (BEGIN IMMEDIATE). Removal takes its blob locks first, in
digest order, before it touches any row, so it cannot deadlock with an intake or a worker.
"""

from collections.abc import Iterable

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from storage.blobs import BlobStore, DetachedBlob
from storage.models import Document

LOCK_KEY_HEX_DIGITS = 15
"""60 bits of the digest: a positive PostgreSQL bigint."""


def lock_blob(session: Session, sha256: str) -> None:
    """Hold the blob's lock until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(sha256[:LOCK_KEY_HEX_DIGITS], 16)
        session.execute(select(func.pg_advisory_xact_lock(key)))


def is_referenced(session: Session, sha256: str) -> bool:
    """True when some document still holds these bytes."""
    return bool(session.scalar(select(exists().where(Document.sha256 == sha256))))


def detach_unreferenced(
    session: Session, blobs: BlobStore, digests: Iterable[str]
) -> list[DetachedBlob]:
    """Detach each blob (already locked) that no document references; purge them after the
    commit, restore them if the transaction fails."""
    detached: list[DetachedBlob] = []
    for sha256 in sorted(set(digests)):
        if not is_referenced(session, sha256):
            moved = blobs.detach(sha256)
            if moved is not None:
                detached.append(moved)
    return detached
