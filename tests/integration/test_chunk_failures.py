"""Chunking that fails for any reason ends: retried within the document's attempts, then the
document fails with its category and is never sent again (real databases, real task bodies)."""

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pipeline.errors import PipelineError
from schemas.enums import DocumentStatus, ErrorCategory
from schemas.settings import Settings
from storage import documents
from storage.database import transaction
from storage.documents import claim_for_chunking, get_document, stale_queued_documents
from storage.intake import take_in
from storage.models import Document
from tests.support.documents import make_text_pdf
from workers import chunk_document as chunk_step
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.embedded import EmbeddedExecutor
from workers.tiers import configured_tiers


@pytest.fixture
def context(any_engine: Engine, tmp_path: Path) -> Iterator[WorkerContext]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        max_attempts=3,
    )
    built = build_context(settings, CollectingEnqueuer())
    yield built
    built.close()


def _collecting(context: WorkerContext) -> CollectingEnqueuer:
    assert isinstance(context.enqueuer, CollectingEnqueuer)
    return context.enqueuer


def _take_in_pdf(context: WorkerContext, tmp_path: Path, name: str, pages: int) -> str:
    path = tmp_path / name
    make_text_pdf(path, pages)
    intake = take_in(
        context.sessions,
        context.blobs,
        io.BytesIO(path.read_bytes()),
        filename=name,
        collection="c",
        options={},
    )
    return intake.document.id


def _document(context: WorkerContext, document_id: str) -> Document:
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        assert document is not None
        session.expunge(document)
        return document


def _chunk_until_settled(context: WorkerContext, document_id: str) -> int:
    """Run chunk_document as a worker would for each message; returns how many ran."""
    queue = _collecting(context)
    queue.enqueue_documents([document_id])
    runs = 0
    while queue.documents:
        chunk_step.chunk_document(context, queue.documents.pop(0), f"worker-{runs}")
        runs += 1
    return runs


def _explode(*_: Any) -> None:
    raise TypeError("unhashable type: 'list'")


def test_an_unexpected_exception_fails_the_document_after_its_attempts(
    context: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = _take_in_pdf(context, tmp_path, "poison.pdf", 2)
    # configured_tiers runs in the worker, inside the chunking step: it stands for any
    # exception that is not a PipelineError (a parser's TypeError, a bug).
    monkeypatch.setattr(chunk_step, "configured_tiers", _explode)
    assert _chunk_until_settled(context, document_id) == 3
    document = _document(context, document_id)
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == 3
    assert document.error_category == ErrorCategory.INTERNAL
    assert document.error_message == (
        "unexpected TypeError: unhashable type: 'list' (chunking attempt 3 of 3)"
    )
    assert document.lease_owner is None
    # Never sent again: not by the stale-queue sweep, not by a redelivered message.
    with transaction(context.sessions) as session:
        assert stale_queued_documents(session, 0) == []
    assert chunk_step.chunk_document(context, document_id, "late-redelivery") == []
    assert _document(context, document_id).attempts == 3
    assert _collecting(context).documents == []


def test_a_document_chunks_on_a_later_attempt_and_loses_the_note(
    context: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = _take_in_pdf(context, tmp_path, "flaky.pdf", 2)
    failures = iter([True, True])

    def flaky(settings: Settings) -> Any:
        if next(failures, False):
            raise RuntimeError("flaky")
        return configured_tiers(settings)

    monkeypatch.setattr(chunk_step, "configured_tiers", flaky)
    assert _chunk_until_settled(context, document_id) == 3
    document = _document(context, document_id)
    assert (document.status, document.attempts, document.jobs_total) == ("processing", 3, 2)
    assert (document.error_category, document.error_message) == (None, None)
    enqueued = _collecting(context)
    assert (len(enqueued.jobs), len(enqueued.runs)) == (0, 1)  # its two pages: one job run


def test_a_file_error_fails_the_document_at_once(
    context: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = _take_in_pdf(context, tmp_path, "corrupt.pdf", 1)

    def corrupt(*_: Any) -> None:
        raise PipelineError(ErrorCategory.CORRUPT_FILE, "xref damaged")

    monkeypatch.setattr(chunk_step, "configured_tiers", corrupt)
    assert _chunk_until_settled(context, document_id) == 1
    document = _document(context, document_id)
    assert (document.status, document.attempts) == ("failed", 1)
    assert (document.error_category, document.error_message) == ("corrupt_file", "xref damaged")


@pytest.mark.slow
def test_the_embedded_drain_goes_on_when_storing_a_documents_jobs_raises(
    context: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = _take_in_pdf(context, tmp_path, "good.pdf", 2)
    bad = _take_in_pdf(context, tmp_path, "bad.pdf", 3)
    real_record_chunks = documents.record_chunks

    def failing_for_bad(session: Any, document_id: str, *args: Any, **kwargs: Any) -> Any:
        if document_id == bad:
            raise RuntimeError("disk I/O error")
        return real_record_chunks(session, document_id, *args, **kwargs)

    # Raised outside the chunking step's own handling: the drain records it and goes on.
    monkeypatch.setattr(chunk_step, "record_chunks", failing_for_bad)
    _collecting(context).enqueue_documents([bad, good])
    seen: list[tuple[str, int, int]] = []

    class Recorder:
        def documents(self, done: int, total: int) -> None:
            seen.append(("documents", done, total))

        def jobs(self, done: int, total: int) -> None:
            seen.append(("jobs", done, total))

    EmbeddedExecutor(context, processes=1).drain(Recorder())
    assert _document(context, good).status == DocumentStatus.DONE
    failed = _document(context, bad)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert failed.error_category == ErrorCategory.INTERNAL
    assert failed.error_message == (
        "unexpected RuntimeError: disk I/O error (chunking attempt 3 of 3)"
    )
    # The two are chunked at once (a spare thread records one while the child chunks the
    # other), so the bad one's first failure is counted before or after the good one is done.
    assert seen[0] in (("documents", 0, 2), ("documents", 1, 2))
    assert seen[1:] == [
        ("documents", 1, 2),
        ("documents", 1, 2),  # the bad one given back again
        ("documents", 2, 2),  # and failed for good
        ("jobs", 2, 2),  # the good document's two pages are one job run
    ]


@pytest.mark.slow
def test_a_document_that_chunks_longer_than_its_lease_keeps_it(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        lease_seconds=0.6,
    )
    context = build_context(settings, CollectingEnqueuer())
    try:
        document_id = _take_in_pdf(context, tmp_path, "long.pdf", 2)
        intruder_claims: list[int | None] = []

        def slow(settings: Settings) -> Any:
            time.sleep(1.2)  # two leases long: another worker would take it over
            with transaction(context.sessions) as session:
                intruder_claims.append(
                    claim_for_chunking(session, document_id, "intruder", 60, max_attempts=3)
                )
            time.sleep(0.6)
            return configured_tiers(settings)

        monkeypatch.setattr(chunk_step, "configured_tiers", slow)
        assert len(chunk_step.chunk_document(context, document_id, "slow-worker")) == 2
        assert intruder_claims == [None]
        document = _document(context, document_id)
        assert (document.status, document.attempts, document.jobs_total) == ("processing", 1, 2)
    finally:
        context.close()
