"""/metrics shows the dispatch outbox's backlog (how many accepted documents wait for the
broker, and for how long the oldest has) to callers that see every collection only: the number
is global, so a key of some collections does not get it."""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

import storage.metrics
from api.app import create_app
from api.routes_metrics import metrics_only_app
from schemas.api_keys import Scope
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import SessionFactory, make_session_factory, transaction
from storage.intake import take_in_staged
from storage.models import OutboxEntry
from storage.outbox import flush_outbox
from tests.api.test_documents_api import RecordingDispatcher
from tests.support.keys import bearer, new_token

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def _accept_waiting(
    sessions: SessionFactory, blobs: BlobStore, content: bytes, collection: str, age: float
) -> str:
    """A document accepted `age` seconds before NOW whose message was never sent."""
    staged = blobs.stage_stream(io.BytesIO(content))
    document_id = take_in_staged(
        sessions, blobs, staged, filename=None, collection=collection, options={}, with_outbox=True
    ).document.id
    with transaction(sessions) as session:
        session.execute(
            update(OutboxEntry)
            .where(OutboxEntry.document_id == document_id)
            .values(created_at=NOW - timedelta(seconds=age))
        )
    return document_id


def _outbox_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "greenhouse_outbox" in line]


BACKLOG_OF_TWO = [
    "# HELP greenhouse_outbox_pending Accepted documents whose chunking message waits for the "
    "broker.",
    "# TYPE greenhouse_outbox_pending gauge",
    "greenhouse_outbox_pending 2",
    "# HELP greenhouse_outbox_oldest_seconds How long the oldest of them has waited (0 when "
    "none does).",
    "# TYPE greenhouse_outbox_oldest_seconds gauge",
    "greenhouse_outbox_oldest_seconds 90.250",
]


def test_the_backlog_is_shown_to_callers_of_every_collection_only(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.metrics, "utcnow", lambda: NOW)
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        auth="keys",
    )
    sessions = make_session_factory(any_engine)
    blobs = BlobStore(tmp_path / "blobs")
    _accept_waiting(sessions, blobs, b"%PDF-alpha", "alpha", 90.25)
    _accept_waiting(sessions, blobs, b"%PDF-beta", "beta", 30.0)
    admin = bearer(new_token(sessions, "ops", set(Scope), None))
    every_reader = bearer(new_token(sessions, "all-r", {Scope.READ}, None))
    alpha_reader = bearer(new_token(sessions, "a-r", {Scope.READ}, {"alpha"}))
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        assert _outbox_lines(client.get("/metrics", headers=admin).text) == BACKLOG_OF_TWO
        assert _outbox_lines(client.get("/metrics", headers=every_reader).text) == BACKLOG_OF_TWO
        alpha = client.get("/metrics", headers=alpha_reader).text
        assert alpha == (
            "# HELP greenhouse_documents Documents by status.\n"
            "# TYPE greenhouse_documents gauge\n"
            'greenhouse_documents{status="queued"} 1\n'
            "# HELP greenhouse_jobs Jobs by state and tier.\n"
            "# TYPE greenhouse_jobs gauge\n"
            "# HELP greenhouse_model_tokens_total Model tokens used, by tier and direction.\n"
            "# TYPE greenhouse_model_tokens_total counter\n"
        )
        listener = TestClient(metrics_only_app(client.app.state.greenhouse))  # type: ignore[attr-defined]
        assert _outbox_lines(listener.get("/metrics").text) == BACKLOG_OF_TWO
        assert flush_outbox(sessions, lambda document_id: None).error is None
        samples = _outbox_lines(client.get("/metrics", headers=admin).text)
    assert [line for line in samples if not line.startswith("#")] == [
        "greenhouse_outbox_pending 0",
        "greenhouse_outbox_oldest_seconds 0.000",
    ]
