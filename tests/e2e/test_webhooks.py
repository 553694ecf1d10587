"""Webhooks end to end: documents ingested through the API and a real Celery worker (and
through `greenhouse ingest` without a broker) reach a local receiver as signed
document.finished / document.failed deliveries; a receiver that answers 500 gets the delivery
again from the worker's delivery thread, and once delivered nothing is sent again."""

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.migrate import upgrade_to_head
from storage.webhooks import create_webhook
from tests.support.api import upload, wait_until_finished
from tests.support.cli import ingest_cli
from tests.support.documents import make_text_pdf, make_truncated_pdf
from tests.support.webhook_receiver import Answer, Arrival, receiver
from tests.support.workers import celery_worker
from workers.embedded_dispatch import EmbeddedDispatcher

WAIT_SECONDS = 120
SECRET = "whsec_end-to-end-secret-000"
POLL_SECONDS = 20.0
"""Long: a first delivery arriving at once was kicked by the finaliser, not found by a poll."""


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        reaper_interval_seconds=1,
        webhook_poll_seconds=POLL_SECONDS,
    )


def _register(api: TestClient, url: str, events: list[str], **extra: Any) -> dict[str, Any]:
    response = api.post("/v1/webhooks", json={"url": url, "events": events, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _by_document(arrivals: list[Arrival]) -> dict[str, Arrival]:
    return {json.loads(arrival.body)["document"]["id"]: arrival for arrival in arrivals}


def test_a_celery_worker_delivers_signed_events_and_retries_a_500(
    api: TestClient, settings: Settings, tmp_path: Path
) -> None:
    pdf = tmp_path / "three.pdf"
    make_text_pdf(pdf, 3)
    broken = tmp_path / "truncated.pdf"
    make_truncated_pdf(broken)
    flaky_answers = [Answer(500), Answer(200)]
    with receiver() as hook, receiver(lambda n: flaky_answers[min(n, 1)]) as flaky:
        webhook = _register(api, hook.url, ["document.finished", "document.failed"])
        flaky_hook = _register(api, flaky.url, ["document.finished"], secret=SECRET)
        with celery_worker(settings, tmp_path, concurrency=2):
            document_id = upload(api, pdf)
            broken_id = upload(api, broken)
            document = wait_until_finished(api, document_id, WAIT_SECONDS)
            failed = wait_until_finished(api, broken_id, WAIT_SECONDS)
            arrivals = _by_document(hook.wait_for(2, WAIT_SECONDS))
            retried = flaky.wait_for(2, WAIT_SECONDS)  # 500, then the retry ~10 s later
            time.sleep(1.0)
            assert len(hook.arrivals) == 2 and len(flaky.arrivals) == 2  # nothing sent again
    assert document["status"] == "done" and failed["status"] == "failed"
    assert failed["error"]["category"] == "corrupt_file"
    finished, broken_event = arrivals[document_id], arrivals[broken_id]
    assert finished.signed_with(webhook["secret"]) and broken_event.signed_with(webhook["secret"])
    assert not finished.signed_with(SECRET)
    assert (finished.event, broken_event.event) == ("document.finished", "document.failed")
    body = json.loads(finished.body)["document"]
    assert (body["status"], body["page_count"], body["jobs_succeeded"]) == ("done", 3, 3)
    assert body["result_path"] == f"/v1/documents/{document_id}/result"
    assert api.get(body["result_path"]).status_code == 200
    failure = json.loads(broken_event.body)["document"]
    assert (failure["status"], failure["error_category"]) == ("failed", "corrupt_file")
    finished_at = datetime.fromisoformat(document["finished_at"]).timestamp()
    assert finished.at - finished_at < 2.0  # kicked after the finaliser's commit, not polled
    failed_at = datetime.fromisoformat(failed["finished_at"]).timestamp()
    assert broken_event.at - failed_at < 2.0  # kicked after the failure's commit
    log = api.get(f"/v1/webhooks/{webhook['id']}/deliveries").json()["items"]
    assert {(item["id"], item["state"], item["attempts"]) for item in log} == {
        (finished.delivery_id, "delivered", 1),
        (broken_event.delivery_id, "delivered", 1),
    }
    assert [arrival.signed_with(SECRET) for arrival in retried] == [True, True]
    assert retried[0].delivery_id == retried[1].delivery_id
    assert 8.0 <= retried[1].at - retried[0].at < 12.0 + POLL_SECONDS + 2.0
    [flaky_log] = api.get(f"/v1/webhooks/{flaky_hook['id']}/deliveries").json()["items"]
    assert (flaky_log["state"], flaky_log["attempts"]) == ("delivered", 2)


def test_embedded_ingest_delivers_at_the_end_of_its_drain(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    engine = make_engine(sqlite_settings.database_url)
    upgrade_to_head(engine)
    folder = tmp_path / "batch"
    folder.mkdir()
    make_text_pdf(folder / "good.pdf", 2)
    make_truncated_pdf(folder / "truncated.pdf")
    with receiver() as hook:
        with transaction(make_session_factory(engine)) as session:
            create_webhook(
                session,
                url=hook.url,
                events=["document.finished", "document.failed"],
                collections=None,
                secret=SECRET,
                created_by=None,
            )
        engine.dispose()
        result = ingest_cli(sqlite_settings, str(folder), "--json")
        assert result.returncode == 1, result.stderr  # one file failed
        arrivals = list(hook.arrivals)  # already there when the command returns
    events = sorted(
        (arrival.event, json.loads(arrival.body)["document"]["filename"]) for arrival in arrivals
    )
    assert events == [("document.failed", "truncated.pdf"), ("document.finished", "good.pdf")]
    assert all(arrival.signed_with(SECRET) for arrival in arrivals)


def test_serve_without_a_broker_delivers_after_its_drain(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'serve.db'}",
        blob_root=str(tmp_path / "blobs"),
        auto_migrate=True,
    )
    pdf = tmp_path / "two.pdf"
    make_text_pdf(pdf, 2)
    app = create_app(settings, EmbeddedDispatcher(settings))
    with receiver() as hook, TestClient(app) as client:
        webhook = _register(client, hook.url, ["document.finished"])
        document_id = upload(client, pdf)
        [arrival] = hook.wait_for(1, WAIT_SECONDS)
        document = client.get(f"/v1/documents/{document_id}").json()
    assert document["status"] == "done"
    assert arrival.signed_with(webhook["secret"])
    assert json.loads(arrival.body)["document"]["id"] == document_id
