"""An embedded drain chunks documents on one thread more than it has processes (each thread
drives an isolated child while it has one; the spare thread records a document meanwhile), so
two processes chunk two documents at once and one process keeps its one child busy; with
isolation off they are chunked one after the other."""

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from sqlalchemy import Engine

from schemas.enums import DocumentStatus
from schemas.settings import Settings
from storage.database import transaction
from storage.documents import get_document
from storage.intake import take_in
from tests.support.documents import make_text_pdf
from tests.support.isolation import children_at_work
from workers import chunk_document as chunk_step
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.embedded import EmbeddedExecutor
from workers.isolation.pool import IsolationPool

pytestmark = pytest.mark.slow

WAIT_SECONDS = 20.0
Isolation = Literal["process", "off"]


def _context(engine: Engine, tmp_path: Path, isolation: Isolation) -> WorkerContext:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        isolation=isolation,
    )
    return build_context(settings, CollectingEnqueuer())


@pytest.fixture
def isolated(any_engine: Engine, tmp_path: Path) -> Iterator[WorkerContext]:
    context = _context(any_engine, tmp_path, "process")
    yield context
    context.close()


def _take_in(context: WorkerContext, tmp_path: Path, names: list[str]) -> list[str]:
    ids = []
    for name in names:
        path = tmp_path / name
        make_text_pdf(path, 2)
        intake = take_in(
            context.sessions,
            context.blobs,
            io.BytesIO(path.read_bytes()),
            filename=name,
            collection="c",
            options={},
        )
        ids.append(intake.document.id)
    assert isinstance(context.enqueuer, CollectingEnqueuer)
    context.enqueuer.enqueue_documents(ids)
    return ids


def _status(session: Any, document_id: str) -> str:
    document = get_document(session, document_id)
    assert document is not None
    return document.status


def _meeting_chunker(monkeypatch: pytest.MonkeyPatch, parties: int) -> list[str]:
    """Each chunking waits (at most WAIT_SECONDS) until `parties` chunkings are under way at
    once; returns the names of the threads that chunked, as they started."""
    real = chunk_step.chunk_document
    barrier = threading.Barrier(parties, timeout=WAIT_SECONDS)
    threads: list[str] = []

    def meeting(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        barrier.wait()  # BrokenBarrierError when the others never come
        return real(*args, **kwargs)

    monkeypatch.setattr(chunk_step, "chunk_document", meeting)
    return threads


def test_two_documents_are_chunked_at_once_on_two_threads(
    isolated: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _take_in(isolated, tmp_path, ["a.pdf", "b.pdf"])
    threads = _meeting_chunker(monkeypatch, parties=2)

    EmbeddedExecutor(isolated, processes=2).drain()

    assert len(threads) == 2
    assert all(name.startswith("embedded-chunk") for name in threads)
    with transaction(isolated.sessions) as session:
        statuses = [_status(session, document_id) for document_id in ids]
    assert statuses == [DocumentStatus.DONE, DocumentStatus.DONE]


def test_one_process_chunks_in_one_child_while_a_spare_thread_records(
    isolated: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _take_in(isolated, tmp_path, ["a.pdf", "b.pdf", "c.pdf", "d.pdf"])
    threads = _meeting_chunker(monkeypatch, parties=2)  # two chunkings under way at once
    most_at_work = children_at_work(monkeypatch)
    pool = isolated.isolation
    assert isinstance(pool, IsolationPool)

    EmbeddedExecutor(isolated, processes=1).drain()

    assert len(threads) == 4
    assert len(set(threads)) == 2  # one thread more than children
    assert all(name.startswith("embedded-chunk") for name in threads)
    assert most_at_work == [1]  # one process: one child answers at a time
    assert pool.children_started == 1
    with transaction(isolated.sessions) as session:
        statuses = [_status(session, document_id) for document_id in ids]
    assert statuses == [DocumentStatus.DONE] * 4


def test_without_isolation_documents_are_chunked_in_turn(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = _context(any_engine, tmp_path, "off")
    try:
        ids = _take_in(context, tmp_path, ["a.pdf", "b.pdf"])
        threads = _meeting_chunker(monkeypatch, parties=1)

        EmbeddedExecutor(context, processes=2).drain()

        assert threads == [threading.current_thread().name] * 2
        with transaction(context.sessions) as session:
            statuses = [_status(session, document_id) for document_id in ids]
        assert statuses == [DocumentStatus.DONE, DocumentStatus.DONE]
    finally:
        context.close()
