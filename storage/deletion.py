"""Deleting documents: their jobs, extractions, result, pending dispatch and, when no other
document shares it, their blob.

Deleting the rows is what cancels the work: a queued job's message later finds nothing to
claim, and a running job's completion, failure or release finds no row to update (the ledger's
transitions are guarded updates), so nothing is written back. Locks are taken in one order,
blobs (by digest), then jobs, then documents, which is the order of intake (blob, document)
and of a completing job (job, document): a deletion never deadlocks with them.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select

from storage.blob_refs import detach_unreferenced, lock_blob
from storage.blobs import BlobStore, DetachedBlob
from storage.database import SessionFactory, transaction
from storage.families import release_deleted_members, with_owned_members
from storage.models import Document, Job

DELETE_BATCH = 500


@dataclass(frozen=True)
class DeletionReport:
    """The documents deleted and how many blobs went with them."""

    documents: list[str]
    blobs_removed: int


def delete_documents(
    sessions: SessionFactory, blobs: BlobStore, document_ids: Sequence[str]
) -> DeletionReport:
    """Delete the given documents (unknown ids are ignored) in one transaction."""
    detached: list[DetachedBlob] = []
    try:
        with transaction(sessions) as session:
            document_ids = with_owned_members(session, document_ids)
            digests = sorted(
                set(
                    session.scalars(
                        select(Document.sha256).where(Document.id.in_(list(document_ids)))
                    )
                )
            )
            for sha256 in digests:
                lock_blob(session, sha256)
            session.execute(delete(Job).where(Job.document_id.in_(list(document_ids))))
            release_deleted_members(session, document_ids)
            deleted = list(
                session.scalars(
                    delete(Document)
                    .where(Document.id.in_(list(document_ids)))
                    .returning(Document.id)
                )
            )
            detached = detach_unreferenced(session, blobs, digests)
    except BaseException:
        for blob in detached:
            blobs.restore(blob)
        raise
    for blob in detached:
        blobs.purge(blob)
    return DeletionReport(documents=deleted, blobs_removed=len(detached))


def delete_collection(
    sessions: SessionFactory, blobs: BlobStore, collection: str, batch: int = DELETE_BATCH
) -> DeletionReport:
    """Delete every document of a collection, `batch` per transaction."""
    deleted: list[str] = []
    removed = 0
    while True:
        with transaction(sessions) as session:
            ids = list(
                session.scalars(
                    select(Document.id).where(Document.collection == collection).limit(batch)
                )
            )
        if not ids:
            return DeletionReport(documents=deleted, blobs_removed=removed)
        report = delete_documents(sessions, blobs, ids)
        deleted += report.documents
        removed += report.blobs_removed
