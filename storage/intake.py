"""Intake: stage the bytes, then in one transaction record the document (and, with a broker,
its pending chunking message in the outbox) and place the blob at its address.

Nothing is left behind by a failed intake: the staged file is removed, and a blob placed by a
transaction that then failed is removed again unless another document holds the same bytes.
"""

from dataclasses import dataclass
from typing import Any, BinaryIO

from schemas.enums import DocumentStatus
from storage.blob_refs import detach_unreferenced, lock_blob
from storage.blobs import BlobStore, StagedBlob
from storage.database import SessionFactory, transaction
from storage.documents import create_document
from storage.models import Document
from storage.outbox import add_entry, ensure_entry


@dataclass(frozen=True)
class IntakeResult:
    """The document for the upload and whether it is new (False: same bytes and options)."""

    document: Document
    created: bool


def take_in(
    sessions: SessionFactory,
    blobs: BlobStore,
    stream: BinaryIO,
    *,
    filename: str | None,
    collection: str,
    options: dict[str, Any],
    max_bytes: int | None = None,
    with_outbox: bool = False,
    resend_queued: bool = False,
) -> IntakeResult:
    """Stream the bytes into the blob store and record the document, as `take_in_staged`;
    without `with_outbox` the caller enqueues it after the commit (the embedded executor)."""
    staged = blobs.stage_stream(stream, max_bytes=max_bytes)
    return take_in_staged(
        sessions,
        blobs,
        staged,
        filename=filename,
        collection=collection,
        options=options,
        with_outbox=with_outbox,
        resend_queued=resend_queued,
    )


def take_in_staged(
    sessions: SessionFactory,
    blobs: BlobStore,
    staged: StagedBlob,
    *,
    filename: str | None,
    collection: str,
    options: dict[str, Any],
    with_outbox: bool = False,
    resend_queued: bool = False,
) -> IntakeResult:
    """Record the document of staged bytes and place them, in one transaction; with
    `with_outbox`, a new document's chunking message is recorded as pending in the same
    transaction (flush it with `storage.outbox.flush_outbox`), and with `resend_queued` too
    that of an existing one not chunked yet (its message may be lost: the CLI sends it again)."""
    sha256 = staged.blob.sha256
    placed = False
    try:
        with transaction(sessions) as session:
            lock_blob(session, sha256)
            document, created = create_document(
                session,
                blob=staged.blob,
                collection=collection,
                filename=filename,
                options=options,
            )
            if with_outbox and created:
                add_entry(session, document.id)
            elif with_outbox and resend_queued and document.status == DocumentStatus.QUEUED:
                ensure_entry(session, document.id)
            placed = True  # from here on the blob may be at its address
            blobs.place(staged)
    except BaseException:
        blobs.discard(staged)
        if placed:
            _remove_if_unreferenced(sessions, blobs, sha256)
        raise
    return IntakeResult(document=document, created=created)


def _remove_if_unreferenced(sessions: SessionFactory, blobs: BlobStore, sha256: str) -> None:
    """Undo the placement of a blob whose document was not committed."""
    with transaction(sessions) as session:
        lock_blob(session, sha256)
        detached = detach_unreferenced(session, blobs, [sha256])
    for blob in detached:
        blobs.purge(blob)
