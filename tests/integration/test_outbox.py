"""Atomic submission: a document is accepted with its chunking message recorded in the outbox,
so a broker outage delays the message until the broker answers, and loses nothing."""

import io
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.dispatch import CeleryDispatcher
from schemas.settings import Settings
from schemas.tasks import CHUNK_DOCUMENT_TASK
from storage.blobs import BlobStore
from storage.database import SessionFactory, make_session_factory, transaction
from storage.intake import take_in_staged
from storage.models import Document
from storage.outbox import flush_outbox
from tests.support.outbox import chunking_messages, outbox_entries
from tests.support.private_redis import PrivateRedis
from workers.context import CollectingEnqueuer, build_context
from workers.reaper import reap_once

FLUSH_WAIT_SECONDS = 60


def test_an_upload_while_the_broker_is_down_is_accepted_and_sent_when_it_returns(
    any_engine: Engine, tmp_path: Path, stopped_broker: PrivateRedis
) -> None:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        broker_url=stopped_broker.url,
        blob_root=str(tmp_path / "blobs"),
        outbox_retry_seconds=0.2,
    )
    sessions = make_session_factory(any_engine)
    app = create_app(settings, CeleryDispatcher(stopped_broker.url))
    with TestClient(app) as client:
        response = client.post(
            "/v1/documents", files={"file": ("a.pdf", io.BytesIO(b"%PDF-outage"), "x/y")}
        )
        assert response.status_code == 202
        document = response.json()
        assert document["status"] == "queued"
        [(pending_id, attempts, error)] = outbox_entries(sessions)
        assert pending_id == document["id"]
        assert attempts >= 1
        assert error is not None and "Connection refused" in error
        assert BlobStore(tmp_path / "blobs").exists(document["sha256"])
        stopped_broker.start()
        deadline = time.monotonic() + FLUSH_WAIT_SECONDS
        while outbox_entries(sessions):
            assert time.monotonic() < deadline, "the outbox was not flushed"
            time.sleep(0.1)
    assert chunking_messages(stopped_broker) == [
        (CHUNK_DOCUMENT_TASK, {"document_id": document["id"]})
    ]
    with transaction(sessions) as session:
        assert session.scalar(select(Document.status)) == "queued"
        assert session.scalar(select(Document.attempts)) == 0


def _accept(sessions: SessionFactory, blobs: BlobStore, content: bytes) -> str:
    staged = blobs.stage_stream(io.BytesIO(content))
    intake = take_in_staged(
        sessions, blobs, staged, filename=None, collection="c", options={}, with_outbox=True
    )
    return intake.document.id


def test_a_reaper_sweep_sends_what_the_api_could_not(any_engine: Engine, tmp_path: Path) -> None:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        broker_url=None,
        blob_root=str(tmp_path / "blobs"),
    )
    context = build_context(settings, CollectingEnqueuer())
    enqueuer = context.enqueuer
    assert isinstance(enqueuer, CollectingEnqueuer)
    first = _accept(context.sessions, context.blobs, b"first")
    second = _accept(context.sessions, context.blobs, b"second")
    reap_once(context)
    assert enqueuer.documents == [first, second]
    assert outbox_entries(context.sessions) == []
    reap_once(context)
    assert enqueuer.documents == [first, second]
    context.close()


def test_a_flush_stops_at_the_first_failed_send_and_counts_it(
    any_engine: Engine, tmp_path: Path
) -> None:
    sessions = make_session_factory(any_engine)
    blobs = BlobStore(tmp_path / "blobs")
    ids = [_accept(sessions, blobs, f"doc {index}".encode()) for index in range(3)]
    sent: list[str] = []

    def send_once_then_fail(document_id: str) -> None:
        if sent:
            raise OSError("broker unreachable")
        sent.append(document_id)

    result = flush_outbox(sessions, send_once_then_fail)
    assert result.sent == [ids[0]]
    assert result.error == "OSError: broker unreachable"
    assert sorted(outbox_entries(sessions)) == sorted(
        [(ids[1], 1, "OSError: broker unreachable"), (ids[2], 0, None)]
    )
    retried = flush_outbox(sessions, sent.append)
    assert retried.sent == ids[1:] and retried.error is None
    assert sent == ids
    assert outbox_entries(sessions) == []
