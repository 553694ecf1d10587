"""The heartbeat stops renewing a job's lease past its deadline, so the reaper can take a hung
job back whatever pool runs it."""

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.ledger import claim_job, reap_expired_leases
from storage.models import Job
from storage.types import utcnow
from tests.integration.ledger_helpers import document_with_jobs
from workers.lease import LeaseHeartbeat

LEASE_SECONDS = 3.0
"""Renewed every second: a loaded CI machine once stalled the heartbeat 1.3 s past a 0.6 s lease."""


@pytest.mark.slow
def test_a_lease_past_its_deadline_expires_and_is_reaped(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(sqlite_engine)
    _, (patient, hung) = document_with_jobs(sessions, BlobStore(tmp_path), 2)
    with transaction(sessions) as session:
        claim_job(session, patient, "me", LEASE_SECONDS)
        claim_job(session, hung, "me", LEASE_SECONDS)
    heartbeat = LeaseHeartbeat(sessions, LEASE_SECONDS)
    with heartbeat.hold(patient, "me"), heartbeat.hold(hung, "me", max_seconds=LEASE_SECONDS):
        time.sleep(LEASE_SECONDS * 4)
        now = utcnow()
        with transaction(sessions) as session:
            kept, overdue = session.get(Job, patient), session.get(Job, hung)
            assert kept is not None and kept.lease_expires_at is not None
            assert overdue is not None and overdue.lease_expires_at is not None
            assert kept.lease_expires_at > now
            assert overdue.lease_expires_at < now
        with transaction(sessions) as session:
            reaped = reap_expired_leases(session, max_attempts=3)
        assert [job_id for job_id, _ in reaped.requeued] == [hung]
