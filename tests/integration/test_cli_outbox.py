"""`greenhouse ingest` with a broker submits through the dispatch outbox: while the broker is
down the document is accepted with its pending message, the CLI says so (and does not wait
with --wait), and once the broker answers one reaper sweep sends the message, once."""

import json
import time
from pathlib import Path

from sqlalchemy import Engine, func, select

from schemas.settings import Settings
from schemas.tasks import CHUNK_DOCUMENT_TASK
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.models import Document
from tests.support.cli import ingest_cli
from tests.support.outbox import chunking_messages, outbox_entries
from tests.support.private_redis import PrivateRedis
from workers.celery_app import CeleryEnqueuer, celery_client
from workers.context import build_context
from workers.reaper import reap_once

WAIT_LIMIT_SECONDS = 60


def _messages_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("greenhouse:")]


def test_an_ingest_while_the_broker_is_down_is_accepted_and_sent_by_a_reaper(
    postgres_engine: Engine, tmp_path: Path, stopped_broker: PrivateRedis
) -> None:
    settings = Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=stopped_broker.url,
        blob_root=str(tmp_path / "blobs"),
        outbox_retry_seconds=0.1,
    )
    sessions = make_session_factory(postgres_engine)
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-cli-outage")
    refused = (
        f"OperationalError: Error 111 connecting to 127.0.0.1:{stopped_broker.port}."
        " Connection refused."
    )
    accepted = (
        f"greenhouse: 1 document accepted, will be sent when the broker answers ({refused}): "
        "the work waits in the database, and any worker's reaper sends it once the broker is back."
    )

    first = ingest_cli(settings, "--json", str(pdf))
    assert first.returncode == 0, first.stderr
    assert _messages_of(first.stderr) == [
        f"greenhouse: the broker did not take the work ({refused}); trying again in 0.1 s",
        f"greenhouse: the broker did not take the work ({refused}); trying again in 0.2 s",
        accepted,
    ]
    report = json.loads(first.stdout)
    assert (report["status"], report["duplicate"]) == ("queued", False)
    assert outbox_entries(sessions) == [(report["id"], 3, refused)]
    with transaction(sessions) as session:
        sha256 = session.scalar(select(Document.sha256).where(Document.id == report["id"]))
    assert sha256 is not None and BlobStore(tmp_path / "blobs").exists(sha256)

    started = time.monotonic()
    waited = ingest_cli(settings, "--json", "--wait", str(pdf))
    assert time.monotonic() - started < WAIT_LIMIT_SECONDS
    assert waited.returncode == 1, waited.stderr
    assert _messages_of(waited.stderr)[2:] == [
        accepted,
        "greenhouse: not waiting, since nothing can start before then; follow them with "
        "`greenhouse show ID` or GET /v1/documents/ID.",
    ]
    again = json.loads(waited.stdout)
    assert (again["id"], again["status"], again["duplicate"]) == (report["id"], "queued", True)
    assert outbox_entries(sessions) == [(report["id"], 6, refused)]
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1

    stopped_broker.start()
    context = build_context(settings, CeleryEnqueuer(celery_client(settings)))
    try:
        reap_once(context)
        assert outbox_entries(sessions) == []
        reap_once(context)
    finally:
        context.close()
    assert chunking_messages(stopped_broker) == [
        (CHUNK_DOCUMENT_TASK, {"document_id": report["id"]})
    ]


def test_an_ingest_with_the_broker_up_sends_at_once_and_leaves_no_entry(
    postgres_engine: Engine, tmp_path: Path, stopped_broker: PrivateRedis
) -> None:
    """A re-run on a document still queued sends its message again (it may have been lost)."""
    stopped_broker.start()
    settings = Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=stopped_broker.url,
        blob_root=str(tmp_path / "blobs"),
    )
    sessions = make_session_factory(postgres_engine)
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"%PDF-cli-up")
    first = ingest_cli(settings, "--json", str(pdf))
    second = ingest_cli(settings, "--json", str(pdf))
    assert (first.returncode, _messages_of(first.stderr)) == (0, [])
    assert (second.returncode, _messages_of(second.stderr)) == (0, [])
    document_id = json.loads(first.stdout)["id"]
    assert json.loads(second.stdout)["id"] == document_id
    assert outbox_entries(sessions) == []
    message = (CHUNK_DOCUMENT_TASK, {"document_id": document_id})
    assert chunking_messages(stopped_broker) == [message, message]
