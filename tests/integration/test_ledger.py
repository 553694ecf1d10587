"""Every transition of the job ledger, on PostgreSQL and on SQLite."""

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from schemas.enums import DocumentStatus, ErrorCategory, JobState
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.documents import get_document
from storage.ledger import (
    ExtractionRecord,
    Usage,
    claim_job,
    complete_job,
    fail_job,
    park_job,
    queued_among,
    reap_expired_leases,
    release_job,
    renew_lease,
    resume_waiting,
    stale_queued_jobs,
)
from storage.models import Extraction, Job
from storage.types import utcnow
from tests.integration.ledger_helpers import document_with_jobs

RECORD = ExtractionRecord(kind="page_content", data={"text": "hi"}, provenance={"page_number": 1})


@pytest.fixture
def sessions(any_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(any_engine)


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def _job(sessions: sessionmaker[Session], job_id: str) -> Job:
    with transaction(sessions) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _document_status(sessions: sessionmaker[Session], document_id: str) -> str:
    with transaction(sessions) as session:
        document = get_document(session, document_id)
        assert document is not None
        return document.status


def test_recorded_chunks_are_queued_jobs(sessions: sessionmaker[Session], blobs: BlobStore) -> None:
    document_id, job_ids = document_with_jobs(sessions, blobs, 3)
    assert len(job_ids) == 3
    assert _document_status(sessions, document_id) == DocumentStatus.PROCESSING
    assert {_job(sessions, j).state for j in job_ids} == {JobState.QUEUED}


def test_claim_takes_a_lease_once(sessions: sessionmaker[Session], blobs: BlobStore) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        job = claim_job(session, job_id, "worker-a", 60)
    assert job is not None
    assert job.state == JobState.RUNNING
    assert job.attempts == 1
    assert job.lease_owner == "worker-a"
    assert job.lease_expires_at is not None and job.lease_expires_at > utcnow()
    with transaction(sessions) as session:
        assert claim_job(session, job_id, "worker-b", 60) is None


def test_the_same_owner_reclaims_its_running_job(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        assert claim_job(session, job_id, "task-1", 60) is not None
    with transaction(sessions) as session:
        again = claim_job(session, job_id, "task-1", 60)
    assert again is not None and again.attempts == 2


def test_an_expired_lease_can_be_claimed_by_another(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        assert claim_job(session, job_id, "dead", 0.05) is not None
    time.sleep(0.1)
    with transaction(sessions) as session:
        job = claim_job(session, job_id, "alive", 60)
    assert job is not None and job.lease_owner == "alive"


def test_complete_stores_one_extraction_and_finishes_the_document(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    document_id, (first, second) = document_with_jobs(sessions, blobs, 2)
    for job_id in (first, second):
        with transaction(sessions) as session:
            assert claim_job(session, job_id, "w", 60) is not None
    with transaction(sessions) as session:
        assert complete_job(session, first, "w", RECORD, Usage(tokens_in=5, model="m"))
    assert _document_status(sessions, document_id) == DocumentStatus.PROCESSING
    with transaction(sessions) as session:
        assert not complete_job(session, first, "w", RECORD)  # second completion is refused
        assert complete_job(session, second, "w", RECORD)
    assert _document_status(sessions, document_id) == DocumentStatus.DONE
    first_job = _job(sessions, first)
    assert first_job.state == JobState.SUCCEEDED
    assert (first_job.tokens_in, first_job.model) == (5, "m")
    assert first_job.lease_owner is None
    with transaction(sessions) as session:
        count = session.scalar(select(func.count()).select_from(Extraction))
        document = get_document(session, document_id)
    assert count == 2
    assert document is not None and document.finished_at is not None
    assert (document.jobs_pending, document.jobs_succeeded) == (0, 2)


def test_a_stale_worker_cannot_complete_a_job_taken_over(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        claim_job(session, job_id, "slow", 0.05)
    time.sleep(0.1)
    with transaction(sessions) as session:
        claim_job(session, job_id, "fast", 60)
    with transaction(sessions) as session:
        assert not complete_job(session, job_id, "slow", RECORD)
    with transaction(sessions) as session:
        assert complete_job(session, job_id, "fast", RECORD)
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Extraction)) == 1


def test_failures_count_down_to_partial_and_failed(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    partial_doc, (ok, bad) = document_with_jobs(sessions, blobs, 2, b"%PDF-a")
    failed_doc, (only,) = document_with_jobs(sessions, blobs, 1, b"%PDF-b")
    for job_id in (ok, bad, only):
        with transaction(sessions) as session:
            claim_job(session, job_id, "w", 60)
    with transaction(sessions) as session:
        complete_job(session, ok, "w", RECORD)
        assert fail_job(session, bad, "w", ErrorCategory.PAGE_ERROR, "page 2 is broken")
        assert fail_job(session, only, None, ErrorCategory.PAGE_ERROR, "broken")
        assert not fail_job(session, only, None, ErrorCategory.PAGE_ERROR, "again")
    with transaction(sessions) as session:
        partial = get_document(session, partial_doc)
        failed = get_document(session, failed_doc)
    assert partial is not None and partial.status == DocumentStatus.PARTIAL
    assert partial.error_category == ErrorCategory.PARTIAL_FAILURE
    assert "1 of 2" in (partial.error_message or "")
    assert failed is not None and failed.status == DocumentStatus.FAILED
    bad_job = _job(sessions, bad)
    assert (bad_job.state, bad_job.error_category) == (JobState.FAILED, ErrorCategory.PAGE_ERROR)


def test_release_returns_a_job_to_the_queue(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        claim_job(session, job_id, "w", 60)
    with transaction(sessions) as session:
        assert not release_job(session, job_id, "other", ErrorCategory.TRANSIENT, "503")
        assert release_job(session, job_id, "w", ErrorCategory.TRANSIENT, "server said 503")
    job = _job(sessions, job_id)
    assert job.state == JobState.QUEUED and job.lease_owner is None
    assert job.error_message == "server said 503"


def test_renew_extends_only_our_lease(sessions: sessionmaker[Session], blobs: BlobStore) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        claim_job(session, job_id, "w", 1)
    before = _job(sessions, job_id).lease_expires_at
    with transaction(sessions) as session:
        assert renew_lease(session, job_id, "w", 600)
        assert not renew_lease(session, job_id, "intruder", 600)
    after = _job(sessions, job_id).lease_expires_at
    assert before is not None and after is not None and after > before


def test_park_and_resume(sessions: sessionmaker[Session], blobs: BlobStore) -> None:
    document_id, (job_id,) = document_with_jobs(sessions, blobs, 1)
    with transaction(sessions) as session:
        claim_job(session, job_id, "w", 60)
    with transaction(sessions) as session:
        assert park_job(session, job_id, "w", "tier moe is not configured")
    job = _job(sessions, job_id)
    assert job.state == JobState.WAITING and job.waiting_reason == "tier moe is not configured"
    assert _document_status(sessions, document_id) == DocumentStatus.PROCESSING
    with transaction(sessions) as session:
        assert resume_waiting(session, "moe") == []
        assert resume_waiting(session, "local") == [(job_id, "local")]
    assert _job(sessions, job_id).state == JobState.QUEUED


def test_reaper_requeues_expired_and_fails_worn_out_jobs(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    document_id, (fresh, worn, alive) = document_with_jobs(sessions, blobs, 3)
    with transaction(sessions) as session:
        claim_job(session, fresh, "dead", 0.05)
        claim_job(session, worn, "dead", 0.05)
        claim_job(session, alive, "alive", 600)
        session.execute(update(Job).where(Job.id == worn).values(attempts=3))
    time.sleep(0.1)
    with transaction(sessions) as session:
        result = reap_expired_leases(session, max_attempts=3)
    assert result.requeued == [(fresh, "local")]
    assert result.failed == [worn]
    assert _job(sessions, fresh).state == JobState.QUEUED
    assert _job(sessions, worn).error_category == ErrorCategory.WORKER_LOST
    assert _job(sessions, alive).state == JobState.RUNNING
    with transaction(sessions) as session:
        document = get_document(session, document_id)
    assert document is not None and document.jobs_failed == 1 and document.jobs_pending == 2


def test_orphans_are_reaped_whatever_their_lease(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    _, (job_id, other) = document_with_jobs(sessions, blobs, 2)
    with transaction(sessions) as session:
        claim_job(session, job_id, "crashed", 600)
    with transaction(sessions) as session:
        result = reap_expired_leases(session, 3, orphaned_job_ids=[job_id, other])
        assert result.requeued == [(job_id, "local")]
        assert sorted(queued_among(session, [job_id, other])) == sorted(
            [(job_id, "local"), (other, "local")]
        )


def test_stale_queued_jobs_are_found_once(
    sessions: sessionmaker[Session], blobs: BlobStore
) -> None:
    _, (job_id,) = document_with_jobs(sessions, blobs, 1)
    time.sleep(0.05)
    with transaction(sessions) as session:
        assert stale_queued_jobs(session, 0.01) == [(job_id, "local")]
        assert stale_queued_jobs(session, 60) == []
