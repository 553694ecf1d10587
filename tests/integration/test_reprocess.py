"""Reprocessing in the ledger, on both backends: refusals, the guarded transition back to
queued, counters, history and the next generation."""

from pathlib import Path

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from schemas.enums import ErrorCategory
from schemas.reprocess import ReprocessIn
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.extraction_schemas import register_schema
from storage.ledger import ExtractionRecord, claim_job, complete_job, fail_job
from storage.models import Document, Extraction, Job
from storage.reprocess import Refused, Reprocessed, reprocess_document, result_history
from storage.results import get_document_result, result_generation, save_document_result
from tests.integration.ledger_helpers import document_with_jobs

SCHEMA = {"type": "object", "properties": {"total": {"type": "number"}}}


def _document(session: Session, document_id: str) -> Document:
    document = session.get(Document, document_id)
    assert document is not None
    return document


def _finish(sessions: sessionmaker[Session], job_ids: list[str]) -> None:
    record = ExtractionRecord(kind="page_content", data={"text": "x"}, provenance={})
    with transaction(sessions) as session:
        for job_id in job_ids[:-1]:
            claim_job(session, job_id, "w", 60)
            complete_job(session, job_id, "w", record)
        claim_job(session, job_ids[-1], "w", 60)
        fail_job(session, job_ids[-1], "w", ErrorCategory.PAGE_ERROR, "broken")


def test_reprocess_requeues_the_schema_jobs_and_keeps_the_result(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    document_id, job_ids = document_with_jobs(sessions, BlobStore(tmp_path), 3)
    with transaction(sessions) as session:
        refused = reprocess_document(session, document_id, ReprocessIn())
    assert refused == Refused(409, "not_finished", f"document {document_id} is still processing")

    _finish(sessions, job_ids)
    with transaction(sessions) as session:
        assert _document(session, document_id).status == "partial"
        save_document_result(session, document_id, "document_pages", {"text": "first"})
        # Local pages, no schema, nothing asked: nothing would change.
        nothing = reprocess_document(session, document_id, ReprocessIn())
        assert isinstance(nothing, Refused) and nothing.code == "nothing_to_reprocess"
        unknown = reprocess_document(
            session, document_id, ReprocessIn.model_validate({"schema": "invoice"})
        )
        assert unknown == Refused(422, "unknown_schema", "no schema is registered as 'invoice'")
        register_schema(session, "invoice", SCHEMA, None)
        register_schema(session, "invoice", {**SCHEMA, "required": ["total"]}, None)
        missing = reprocess_document(
            session,
            document_id,
            ReprocessIn.model_validate({"schema": "invoice", "schema_version": 3}),
        )
        assert missing == Refused(422, "unknown_schema", "schema 'invoice' has no version 3")

    with transaction(sessions) as session:
        outcome = reprocess_document(
            session,
            document_id,
            ReprocessIn.model_validate({"schema": "invoice", "schema_version": 1}),
        )
    assert isinstance(outcome, Reprocessed)
    assert sorted(job_id for job_id, _ in outcome.jobs) == sorted(job_ids)
    assert {queue for _, queue in outcome.jobs} == {"vlm"}
    with transaction(sessions) as session:
        document = _document(session, document_id)
        assert (document.status, document.jobs_pending) == ("processing", 3)
        assert (document.jobs_succeeded, document.jobs_failed) == (0, 0)
        assert (document.options["schema"], document.schema_version) == ("invoice", 1)
        jobs = session.scalars(select(Job).where(Job.document_id == document_id)).all()
        assert {(job.state, job.tier, job.attempts, job.error_category) for job in jobs} == {
            ("queued", "moe", 0, None)
        }
        extractions = select(func.count()).select_from(Extraction)
        assert session.scalar(extractions.where(Extraction.document_id == document_id)) == 0
        assert get_document_result(session, document_id) is None
        assert result_generation(session, document_id) == 2
        (kept,) = result_history(session, document_id, 10)
        assert (kept.generation, kept.data) == (1, {"text": "first"})
        again = reprocess_document(session, document_id, ReprocessIn())
        assert isinstance(again, Refused) and again.code == "not_finished"

    _finish(sessions, job_ids)
    with transaction(sessions) as session:
        assert _document(session, document_id).status == "partial"
        saved = save_document_result(session, document_id, "document_pages", {"text": "second"})
        assert saved is not None and saved.generation == 2


def test_a_container_is_not_reprocessed(any_engine: Engine, tmp_path: Path) -> None:
    sessions = make_session_factory(any_engine)
    document_id, job_ids = document_with_jobs(sessions, BlobStore(tmp_path), 1)
    _finish(sessions, job_ids)
    with transaction(sessions) as session:
        session.execute(update(Document).where(Document.id == document_id).values(children_total=1))
        refused = reprocess_document(
            session, document_id, ReprocessIn.model_validate({"tier": "moe"})
        )
    assert isinstance(refused, Refused) and refused.code == "not_reprocessable"
