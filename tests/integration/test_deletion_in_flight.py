"""A document deleted while its job runs: the job ends quietly as `deleted`, writes nothing,
and logs no error, whether its engine then succeeds or fails."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from pipeline.engines.base import ChunkJob, ExtractionResult
from schemas.settings import Settings
from storage.database import transaction
from storage.deletion import delete_documents
from storage.models import Document, DocumentResult, Extraction, Job
from tests.integration.ledger_helpers import document_with_jobs
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.run_job import run_job


@pytest.fixture
def context(any_engine: Engine, tmp_path: Path) -> Iterator[WorkerContext]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        isolation="off",
    )
    built = build_context(settings, CollectingEnqueuer())
    yield built
    built.close()


def _rows(context: WorkerContext) -> dict[str, int]:
    with transaction(context.sessions) as session:
        return {
            model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Document, Job, Extraction, DocumentResult)
        }


@pytest.mark.parametrize("engine_outcome", ["succeeds", "raises"])
def test_a_job_whose_document_is_deleted_mid_run_ends_quietly(
    context: WorkerContext,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    engine_outcome: str,
) -> None:
    document_id, job_ids = document_with_jobs(context.sessions, context.blobs, 1)

    def delete_then_finish(job: ChunkJob) -> ExtractionResult:
        report = delete_documents(context.sessions, context.blobs, [document_id])
        assert report.documents == [document_id]
        assert not job.path.exists()
        if engine_outcome == "raises":
            raise FileNotFoundError(job.path)
        return ExtractionResult(kind="page_content", data={}, provenance={}, engine="fake")

    monkeypatch.setattr(context.isolation, "run_chunk", delete_then_finish)
    with caplog.at_level(logging.WARNING):
        outcome = run_job(context, job_ids[0], "worker-1")
    assert (outcome.job_id, outcome.state, outcome.error_category) == (
        job_ids[0],
        "deleted",
        None,
    )
    assert [record.getMessage() for record in caplog.records] == []
    assert _rows(context) == {"documents": 0, "jobs": 0, "extractions": 0, "document_results": 0}
