"""Deleting documents on both backends: rows, blobs shared or not, work in flight, retention,
and intakes that fail after their blob was placed."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier
from schemas.plans import JobPlan
from storage.blobs import BlobStore, StagedBlob, StoredBlob
from storage.database import SessionFactory, make_session_factory, transaction
from storage.deletion import delete_collection, delete_documents
from storage.documents import claim_for_chunking, record_chunks
from storage.intake import take_in, take_in_staged
from storage.ledger import (
    ExtractionRecord,
    claim_job,
    complete_job,
    fail_job,
    release_job,
    renew_lease,
)
from storage.models import Document, DocumentResult, Extraction, Job, OutboxEntry
from storage.outbox import pending_count
from storage.results import save_document_result
from storage.retention import RetentionPolicy, apply_retention, expired_documents
from storage.types import utcnow
from tests.integration.ledger_helpers import document_with_jobs

RECORD = ExtractionRecord(kind="page_content", data={"text": "x"}, provenance={"page": 1})


@pytest.fixture
def sessions(any_engine: Engine) -> SessionFactory:
    return make_session_factory(any_engine)


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def _count(sessions: SessionFactory, model: type) -> int:
    with transaction(sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _document(
    sessions: SessionFactory, blobs: BlobStore, content: bytes, collection: str = "c"
) -> str:
    intake = take_in(
        sessions,
        blobs,
        io.BytesIO(content),
        filename="x.pdf",
        collection=collection,
        options={},
    )
    return intake.document.id


def _files(blobs: BlobStore) -> list[Path]:
    return sorted(path for path in blobs.root.rglob("*") if path.is_file())


def test_deleting_a_document_removes_its_rows_and_unshared_blob(
    sessions: SessionFactory, blobs: BlobStore
) -> None:
    document_id, job_ids = document_with_jobs(sessions, blobs, 2, content=b"%PDF-one")
    with transaction(sessions) as session:
        assert claim_job(session, job_ids[0], "w", 60)
        assert complete_job(session, job_ids[0], "w", RECORD)
        save_document_result(session, document_id, "document_pages", {"pages": []})
    sha256 = _sha_of(sessions, document_id)
    report = delete_documents(sessions, blobs, [document_id, "no-such-id"])
    assert report.documents == [document_id]
    assert report.blobs_removed == 1
    for model in (Document, Job, Extraction, DocumentResult):
        assert _count(sessions, model) == 0
    assert not blobs.exists(sha256)
    assert _files(blobs) == []


def test_a_shared_blob_stays_until_its_last_document_goes(
    sessions: SessionFactory, blobs: BlobStore
) -> None:
    first = _document(sessions, blobs, b"same bytes", collection="a")
    second = _document(sessions, blobs, b"same bytes", collection="b")
    sha256 = _sha_of(sessions, first)
    assert delete_documents(sessions, blobs, [first]).blobs_removed == 0
    assert blobs.exists(sha256)
    assert delete_documents(sessions, blobs, [second]).blobs_removed == 1
    assert not blobs.exists(sha256)


def test_a_running_job_of_a_deleted_document_writes_nothing(
    sessions: SessionFactory, blobs: BlobStore
) -> None:
    document_id, job_ids = document_with_jobs(sessions, blobs, 3, content=b"%PDF-running")
    with transaction(sessions) as session:
        assert claim_job(session, job_ids[0], "w", 60)
        assert claim_job(session, job_ids[1], "w", 60)
    delete_documents(sessions, blobs, [document_id])
    with transaction(sessions) as session:
        assert not complete_job(session, job_ids[0], "w", RECORD)
        assert not fail_job(session, job_ids[1], "w", ErrorCategory.INTERNAL, "boom")
        assert not release_job(session, job_ids[1], "w", ErrorCategory.TRANSIENT, "again")
        assert not renew_lease(session, job_ids[0], "w", 60)
        assert claim_job(session, job_ids[2], "w", 60) is None
        assert save_document_result(session, document_id, "document_pages", {}) is None
    for model in (Document, Job, Extraction, DocumentResult):
        assert _count(sessions, model) == 0


def test_a_document_deleted_while_chunked_gets_no_jobs(
    sessions: SessionFactory, blobs: BlobStore
) -> None:
    document_id = _document(sessions, blobs, b"%PDF-chunking")
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "chunker", 60, max_attempts=3) == 1
    delete_documents(sessions, blobs, [document_id])
    plan = JobPlan(
        chunk=ChunkDescriptor(seq=0, kind=ChunkKind.PDF_PAGE, page_number=1),
        tier=Tier.LOCAL,
        budget=None,
        waiting_reason=None,
    )
    with transaction(sessions) as session:
        runnable = record_chunks(
            session, document_id, "chunker", media_type="application/pdf", plans=[plan]
        )
    assert runnable.job_ids == []
    assert _count(sessions, Job) == 0


def test_deleting_a_collection_leaves_the_others(
    sessions: SessionFactory, blobs: BlobStore
) -> None:
    doomed = [_document(sessions, blobs, f"a{i}".encode(), collection="a") for i in range(5)]
    kept = _document(sessions, blobs, b"b0", collection="b")
    report = delete_collection(sessions, blobs, "a", batch=2)
    assert sorted(report.documents) == sorted(doomed)
    assert report.blobs_removed == 5
    with transaction(sessions) as session:
        assert list(session.scalars(select(Document.id))) == [kept]
    assert len(_files(blobs)) == 1


def test_outbox_entries_go_with_their_document(sessions: SessionFactory, blobs: BlobStore) -> None:
    staged = blobs.stage_stream(io.BytesIO(b"pending"))
    intake = take_in_staged(
        sessions, blobs, staged, filename=None, collection="c", options={}, with_outbox=True
    )
    with transaction(sessions) as session:
        assert pending_count(session) == 1
    delete_documents(sessions, blobs, [intake.document.id])
    assert _count(sessions, OutboxEntry) == 0


def test_retention_deletes_what_is_older_than_its_collection_keeps(
    sessions: SessionFactory, blobs: BlobStore
) -> None:
    ages_in_days = {"scratch": 3.0, "contracts": 400.0, "default": 40.0}
    ids = {
        name: _document(sessions, blobs, name.encode(), collection=name) for name in ages_in_days
    }
    young = _document(sessions, blobs, b"young", collection="default")
    with transaction(sessions) as session:
        for name, days in ages_in_days.items():
            session.execute(
                update(Document)
                .where(Document.id == ids[name])
                .values(created_at=utcnow() - timedelta(days=days))
            )
    policy = RetentionPolicy(default_days=30, by_collection={"scratch": 1, "contracts": None})
    assert sorted(expired_documents(sessions, policy)) == sorted([ids["scratch"], ids["default"]])
    report = apply_retention(sessions, blobs, policy)
    assert sorted(report.documents) == sorted([ids["scratch"], ids["default"]])
    with transaction(sessions) as session:
        assert sorted(session.scalars(select(Document.id))) == sorted([ids["contracts"], young])
    assert apply_retention(sessions, blobs, RetentionPolicy()).documents == []


def test_an_intake_failing_after_placing_its_blob_removes_it(
    sessions: SessionFactory, blobs: BlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept_id = _document(sessions, blobs, b"shared")
    place = BlobStore.place

    def place_then_fail(store: BlobStore, staged: StagedBlob) -> StoredBlob:
        place(store, staged)
        raise OSError("disk went away after the rename")

    monkeypatch.setattr(BlobStore, "place", place_then_fail)
    for content in (b"fresh", b"shared"):
        with pytest.raises(OSError, match="disk went away"):
            take_in(sessions, blobs, io.BytesIO(content), filename="y", collection="z", options={})
    with transaction(sessions) as session:
        assert list(session.scalars(select(Document.id))) == [kept_id]
    assert [path.name for path in _files(blobs)] == [_sha_of(sessions, kept_id)]


def _sha_of(sessions: SessionFactory, document_id: str) -> str:
    with transaction(sessions) as session:
        sha256 = session.scalar(select(Document.sha256).where(Document.id == document_id))
    assert sha256 is not None
    return sha256


def test_leftovers_of_killed_uploads_and_deletions_are_removed_when_old(
    blobs: BlobStore,
) -> None:
    kept = blobs.put_stream(io.BytesIO(b"placed"))
    staged = blobs.stage_stream(io.BytesIO(b"staged by a process that died"))
    detached = blobs.detach(blobs.put_stream(io.BytesIO(b"detached")).sha256)
    assert detached is not None
    assert blobs.remove_leftovers(older_than_seconds=3600) == 0
    old = 1_000_000_000.0
    for path in (staged.temp_path, detached.trash_path):
        os.utime(path, (old, old))
    assert blobs.remove_leftovers(older_than_seconds=3600) == 2
    assert _files(blobs) == [blobs.path_for(kept.sha256)]
