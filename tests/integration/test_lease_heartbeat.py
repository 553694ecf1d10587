"""The per-process heartbeat keeps held leases alive and notices a lease taken over."""

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.ledger import claim_job
from storage.models import Job
from storage.types import utcnow
from tests.integration.ledger_helpers import document_with_jobs
from workers.lease import LeaseHeartbeat

LEASE_SECONDS = 0.6


@pytest.mark.slow
def test_held_leases_outlive_their_length_and_lost_ones_are_noticed(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    _, (kept, stolen) = document_with_jobs(sessions, BlobStore(tmp_path), 2)
    with transaction(sessions) as session:
        claim_job(session, kept, "me", LEASE_SECONDS)
        claim_job(session, stolen, "me", LEASE_SECONDS)
    heartbeat = LeaseHeartbeat(sessions, LEASE_SECONDS)
    with heartbeat.hold(kept, "me") as kept_lease, heartbeat.hold(stolen, "me") as stolen_lease:
        with transaction(sessions) as session:
            session.execute(update(Job).where(Job.id == stolen).values(lease_owner="thief"))
        time.sleep(LEASE_SECONDS * 2.5)
        with transaction(sessions) as session:
            job = session.get(Job, kept)
            assert job is not None and job.lease_expires_at is not None
            assert job.lease_expires_at > utcnow()
        assert not kept_lease.lost
        assert stolen_lease.lost
    time.sleep(LEASE_SECONDS)  # a renewal already under way when the block ended may land
    with transaction(sessions) as session:
        before = session.get(Job, kept)
        assert before is not None
        expiry = before.lease_expires_at
    time.sleep(LEASE_SECONDS)
    with transaction(sessions) as session:
        after = session.get(Job, kept)
        assert after is not None and after.lease_expires_at == expiry  # released: not renewed
