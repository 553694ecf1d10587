"""Intake, de-duplication, chunk recording and listing on both backends."""

import io
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from schemas.enums import DocumentStatus, ErrorCategory
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.documents import (
    claim_for_chunking,
    fail_document,
    get_document,
    job_counts,
    list_documents,
    stale_queued_documents,
)
from storage.intake import take_in
from tests.integration.ledger_helpers import document_with_jobs


def _intake(engine: Engine, blobs: BlobStore, content: bytes, collection: str = "c", **options):
    return take_in(
        make_session_factory(engine),
        blobs,
        io.BytesIO(content),
        filename="f.pdf",
        collection=collection,
        options=options,
    )


def test_same_bytes_and_options_are_one_document(any_engine: Engine, tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    first = _intake(any_engine, blobs, b"same bytes")
    again = _intake(any_engine, blobs, b"same bytes")
    other_options = _intake(any_engine, blobs, b"same bytes", tier="moe")
    other_collection = _intake(any_engine, blobs, b"same bytes", collection="d")
    assert first.created and not again.created
    assert again.document.id == first.document.id
    assert other_options.created and other_options.document.id != first.document.id
    assert other_collection.created
    assert blobs.path_for(first.document.sha256).read_bytes() == b"same bytes"


def test_chunking_lease_is_exclusive(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _intake(any_engine, BlobStore(tmp_path), b"x").document.id
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "a", 60, max_attempts=3)
        assert not claim_for_chunking(session, document_id, "b", 60, max_attempts=3)


def test_fail_document_records_the_error(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _intake(any_engine, BlobStore(tmp_path), b"x").document.id
    with transaction(sessions) as session:
        assert fail_document(
            session, document_id, category=ErrorCategory.ENCRYPTED, message="needs a password"
        )
    with transaction(sessions) as session:
        document = get_document(session, document_id)
    assert document is not None
    assert document.status == DocumentStatus.FAILED
    assert (document.error_category, document.error_message) == ("encrypted", "needs a password")


def test_listing_filters_and_paginates(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    blobs = BlobStore(tmp_path)
    ids = [_intake(any_engine, blobs, f"doc {i}".encode()).document.id for i in range(5)]
    _intake(any_engine, blobs, b"elsewhere", collection="other")
    seen: list[str] = []
    after = None
    while True:
        with transaction(sessions) as session:
            page = list_documents(session, status=None, collection="c", after=after, limit=2)
        if not page:
            break
        seen.extend(d.id for d in page)
        after = (page[-1].created_at, page[-1].id)
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    with transaction(sessions) as session:
        done = list_documents(
            session, status=DocumentStatus.DONE, collection=None, after=None, limit=10
        )
    assert done == []


def test_job_counts_by_state(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    document_id, _ = document_with_jobs(sessions, BlobStore(tmp_path), 4)
    with transaction(sessions) as session:
        counts = job_counts(session, [document_id])[document_id]
    assert (counts.total, counts.queued, counts.succeeded) == (4, 4, 0)


def test_stale_queued_documents(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _intake(any_engine, BlobStore(tmp_path), b"lost message").document.id
    time.sleep(0.05)
    with transaction(sessions) as session:
        assert stale_queued_documents(session, 0.01) == [document_id]
        assert stale_queued_documents(session, 60) == []


def test_blob_store_limits_size_and_leaves_nothing(tmp_path: Path) -> None:
    from storage.blobs import BlobTooLargeError

    blobs = BlobStore(tmp_path)
    with pytest.raises(BlobTooLargeError):
        blobs.put_stream(io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert list((tmp_path / "incoming").iterdir()) == []
    stored = blobs.put_stream(io.BytesIO(b"x" * 4096), max_bytes=4096)
    assert stored.size_bytes == 4096 and blobs.exists(stored.sha256)
    with pytest.raises(ValueError, match="sha256"):
        blobs.path_for("../../etc/passwd")
