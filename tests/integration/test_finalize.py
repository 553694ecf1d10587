"""A finished document whose finaliser died gets its result from the reaper."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, update

from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import transaction
from storage.ledger import ExtractionRecord, claim_job, complete_job
from storage.models import Document
from storage.results import get_document_result, unfinalized_documents
from storage.types import utcnow
from tests.integration.ledger_helpers import document_with_jobs
from workers.context import CollectingEnqueuer, build_context
from workers.reaper import reap_once


def test_reaper_assembles_results_that_were_never_written(
    any_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
    )
    context = build_context(settings, CollectingEnqueuer())
    document_id, (job_id,) = document_with_jobs(context.sessions, BlobStore(tmp_path), 1)
    record = ExtractionRecord(kind="page_content", data={"text": "orphan"}, provenance={})
    with transaction(context.sessions) as session:
        claim_job(session, job_id, "w", 60)
        assert complete_job(session, job_id, "w", record).finished_document == document_id
    with transaction(context.sessions) as session:
        assert unfinalized_documents(session, 60) == []  # still in its grace period
        session.execute(
            update(Document)
            .where(Document.id == document_id)
            .values(finished_at=utcnow() - timedelta(minutes=5))
        )
    reap_once(context)
    with transaction(context.sessions) as session:
        result = get_document_result(session, document_id)
        assert result is not None
        assert result.data["text"] == "orphan"
        assert unfinalized_documents(session, 60) == []
    context.engine.dispose()
