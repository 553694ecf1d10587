"""Intake: store the bytes, then record the document; the caller enqueues after commit."""

from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy.orm import Session, sessionmaker

from storage.blobs import BlobStore
from storage.database import transaction
from storage.documents import create_document
from storage.models import Document


@dataclass(frozen=True)
class IntakeResult:
    """The document for the upload and whether it is new (False: same bytes and options)."""

    document: Document
    created: bool


def take_in(
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    stream: BinaryIO,
    *,
    filename: str | None,
    collection: str,
    options: dict[str, Any],
    max_bytes: int | None = None,
) -> IntakeResult:
    """Stream the bytes into the blob store, then insert (or find) the document and commit."""
    blob = blobs.put_stream(stream, max_bytes=max_bytes)
    with transaction(sessions) as session:
        document, created = create_document(
            session, blob=blob, collection=collection, filename=filename, options=options
        )
    return IntakeResult(document=document, created=created)
