"""Documents carry chunking attempts; leases of dead owners are taken back at once.

Both backends. An already-expired lease (negative length) stands for a worker that died.
"""

import io
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from schemas.enums import DocumentStatus, ErrorCategory, JobState
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.documents import (
    claim_for_chunking,
    get_document,
    release_chunking,
    renew_chunking_lease,
    stale_queued_documents,
)
from storage.intake import take_in
from storage.ledger import claim_job
from storage.models import Document, Job
from storage.takeover import lease_owners_with_prefix, take_over_leases
from tests.integration.ledger_helpers import document_with_jobs
from workers.chunking_lease import ChunkingLease

DIED = -1.0
"""A lease length that has already run out: its holder is as good as dead."""


def _queued_document(engine: Engine, tmp_path: Path, content: bytes = b"x") -> str:
    intake = take_in(
        make_session_factory(engine),
        BlobStore(tmp_path),
        io.BytesIO(content),
        filename="f.pdf",
        collection="c",
        options={},
    )
    return intake.document.id


def _document(engine: Engine, document_id: str) -> Document:
    with transaction(make_session_factory(engine)) as session:
        document = get_document(session, document_id)
        assert document is not None
        session.expunge(document)
        return document


def test_each_claim_counts_an_attempt_but_the_same_owner_takes_its_lease_back_free(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _queued_document(any_engine, tmp_path)
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "a", DIED, max_attempts=3) == 1
        assert claim_for_chunking(session, document_id, "a", DIED, max_attempts=3) == 1
        assert claim_for_chunking(session, document_id, "b", 60, max_attempts=3) == 2
        assert claim_for_chunking(session, document_id, "c", 60, max_attempts=3) is None
    assert _document(any_engine, document_id).attempts == 2


def test_a_document_whose_chunking_worker_keeps_dying_fails_as_worker_lost(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _queued_document(any_engine, tmp_path)
    for number, owner in enumerate(["w1", "w2", "w3"], start=1):
        with transaction(sessions) as session:
            assert claim_for_chunking(session, document_id, owner, DIED, max_attempts=3) == number
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "w4", 60, max_attempts=3) is None
    document = _document(any_engine, document_id)
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == 3
    assert document.error_category == ErrorCategory.WORKER_LOST
    assert document.error_message == (
        "the worker chunking this document stopped responding; giving up after 3 attempts"
    )
    assert document.lease_owner is None and document.finished_at is not None
    # Failed for good: the stale-queue sweep never sends it again.
    with transaction(sessions) as session:
        assert stale_queued_documents(session, 0) == []


def test_a_released_document_keeps_its_error_as_a_note_until_it_is_chunked(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _queued_document(any_engine, tmp_path)
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "a", 60, max_attempts=3) == 1
        assert not release_chunking(
            session, document_id, "b", category=ErrorCategory.INTERNAL, message="not mine"
        )
        assert release_chunking(
            session, document_id, "a", category=ErrorCategory.INTERNAL, message="boom"
        )
    document = _document(any_engine, document_id)
    assert (document.status, document.lease_owner) == (DocumentStatus.QUEUED, None)
    assert (document.error_category, document.error_message) == ("internal", "boom")
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "b", 60, max_attempts=3) == 2


def test_only_the_owner_renews_a_chunking_lease(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _queued_document(any_engine, tmp_path)
    with transaction(sessions) as session:
        claim_for_chunking(session, document_id, "a", DIED, max_attempts=3)
        assert not renew_chunking_lease(session, document_id, "b", 60)
        assert renew_chunking_lease(session, document_id, "a", 60)
        # Renewed: nobody else can take it over now.
        assert claim_for_chunking(session, document_id, "b", 60, max_attempts=3) is None


@pytest.mark.slow
def test_the_chunking_lease_is_renewed_while_a_document_is_chunked(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _queued_document(any_engine, tmp_path)
    lease_seconds = 0.6
    with transaction(sessions) as session:
        claim_for_chunking(session, document_id, "a", lease_seconds, max_attempts=3)
    first_expiry = _document(any_engine, document_id).lease_expires_at
    assert first_expiry is not None
    with ChunkingLease(sessions, document_id, "a", lease_seconds) as lease:
        time.sleep(3 * lease_seconds)  # three leases long: it would have expired twice
        with transaction(sessions) as session:
            assert claim_for_chunking(session, document_id, "b", 60, max_attempts=3) is None
        renewed_expiry = _document(any_engine, document_id).lease_expires_at
        assert not lease.lost
    assert renewed_expiry is not None and renewed_expiry > first_expiry
    time.sleep(lease_seconds + 0.1)  # stopped: the lease now runs out
    with transaction(sessions) as session:
        assert claim_for_chunking(session, document_id, "b", 60, max_attempts=3) == 2


def test_a_renewal_that_finds_the_lease_taken_marks_it_lost(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id = _queued_document(any_engine, tmp_path)
    with transaction(sessions) as session:
        claim_for_chunking(session, document_id, "a", DIED, max_attempts=3)
        claim_for_chunking(session, document_id, "b", 60, max_attempts=3)
    with ChunkingLease(sessions, document_id, "a", 0.3) as lease:
        time.sleep(0.5)
        assert lease.lost


def test_dead_owners_lose_their_jobs_and_chunking_leases_at_once(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    blobs = BlobStore(tmp_path)
    dead, alive, other_host = "embedded/h/11/x", "embedded/h/12/y", "embedded/h2/11/z"
    _, jobs = document_with_jobs(sessions, blobs, 4)
    chunking = _queued_document(any_engine, tmp_path, b"chunking")
    exhausted = _queued_document(any_engine, tmp_path, b"exhausted")
    with transaction(sessions) as session:
        for job_id, owner in zip(jobs, [dead, dead, alive, other_host], strict=True):
            assert claim_job(session, job_id, owner, 300)
        assert claim_for_chunking(session, chunking, dead, 300, max_attempts=3) == 1
        session.execute(update(Document).where(Document.id == exhausted).values(attempts=2))
        assert claim_for_chunking(session, exhausted, dead, 300, max_attempts=3) == 3
    with transaction(sessions) as session:
        assert lease_owners_with_prefix(session, "embedded/h/") == {dead, alive}
        assert lease_owners_with_prefix(session, "embedded/h2/") == {other_host}
        assert lease_owners_with_prefix(session, "embedded/h_/") == set()
        taken = take_over_leases(session, [dead], max_attempts=3)
    assert sorted(job_id for job_id, _ in taken.requeued_jobs) == sorted(jobs[:2])
    assert taken.failed_jobs == [] and taken.finished_documents == []
    assert taken.requeued_documents == [chunking]
    assert taken.failed_documents == [exhausted]
    with transaction(sessions) as session:
        states = dict(session.execute(select(Job.id, Job.state).where(Job.id.in_(jobs))).all())
        owners = dict(session.execute(select(Job.id, Job.lease_owner)).all())
    assert [states[job_id] for job_id in jobs] == [
        JobState.QUEUED,
        JobState.QUEUED,
        JobState.RUNNING,
        JobState.RUNNING,
    ]
    assert (owners[jobs[2]], owners[jobs[3]]) == (alive, other_host)
    released = _document(any_engine, chunking)
    assert (released.status, released.lease_owner, released.attempts) == ("queued", None, 1)
    assert released.error_category == ErrorCategory.WORKER_LOST
    failed = _document(any_engine, exhausted)
    assert (failed.status, failed.error_category) == ("failed", "worker_lost")
    with transaction(sessions) as session:
        assert claim_for_chunking(session, chunking, "next", 300, max_attempts=3) == 2


def test_taking_over_a_job_on_its_last_attempt_fails_it_and_finishes_the_document(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id, jobs = document_with_jobs(sessions, BlobStore(tmp_path), 1)
    with transaction(sessions) as session:
        session.execute(update(Job).where(Job.id == jobs[0]).values(attempts=2))
        assert claim_job(session, jobs[0], "embedded/h/11/x", 300)
        taken = take_over_leases(session, ["embedded/h/11/x"], max_attempts=3)
    assert (taken.requeued_jobs, taken.failed_jobs) == ([], jobs)
    assert taken.finished_documents == [document_id]
    assert _document(any_engine, document_id).status == DocumentStatus.FAILED
