"""Webhooks on both backends: events recorded with the transition that finishes a document
(once, whoever finalises), delivered signed to a local receiver, retried with backoff after a
500, never sent again once delivered, redirects refused, webhooks disabled after repeated dead
deliveries, and exact decisions of the event and collection filters."""

import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from schemas.enums import ErrorCategory
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import SessionFactory, transaction
from storage.documents import claim_for_chunking, fail_document
from storage.intake import take_in
from storage.ledger import ExtractionRecord, claim_job, complete_job, fail_job
from storage.models import Document, Webhook, WebhookDelivery
from storage.types import utcnow
from storage.webhook_deliveries import claim_due, record_delivered, record_failed
from storage.webhooks import create_webhook, enable_webhook
from tests.integration.ledger_helpers import document_with_jobs
from tests.support.webhook_receiver import Answer, receiver
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.finalize_document import finalize_document
from workers.webhook_http import delivery_body
from workers.webhooks import Deliverer, DeliveryPolicy, DeliveryThread, retry_delay

SECRET = "whsec_integration-secret-0001"
FINISHED = "document.finished"
FAILED = "document.failed"


@pytest.fixture
def context(any_engine: Engine, tmp_path: Path) -> Iterator[WorkerContext]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
    )
    worker_context = build_context(settings, CollectingEnqueuer())
    yield worker_context
    worker_context.close()


def _register(
    sessions: SessionFactory,
    url: str,
    events: list[str],
    collections: list[str] | None = None,
) -> str:
    with transaction(sessions) as session:
        webhook = create_webhook(
            session, url=url, events=events, collections=collections, secret=SECRET, created_by=None
        )
        return webhook.id


def _finished(
    context: WorkerContext, collection: str = "c", *, failed_jobs: int = 0, pages: int = 2
) -> str:
    """A document of `collection` whose jobs ran (the first `failed_jobs` failed), finalised."""
    content = f"%PDF-{collection}-{time.monotonic_ns()}".encode()
    document_id, jobs = document_with_jobs(
        context.sessions, context.blobs, pages, content, collection
    )
    record = ExtractionRecord(kind="page_content", data={"text": "t"}, provenance={})
    with transaction(context.sessions) as session:
        for number, job_id in enumerate(jobs):
            claim_job(session, job_id, "w", 60)
            if number < failed_jobs:
                fail_job(session, job_id, "w", ErrorCategory.PAGE_ERROR, "bad page")
            else:
                complete_job(session, job_id, "w", record)
    assert finalize_document(context, document_id)
    return document_id


def _deliveries(sessions: SessionFactory) -> list[WebhookDelivery]:
    with transaction(sessions) as session:
        query = select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        return list(session.scalars(query))


def _make_due(sessions: SessionFactory) -> None:
    """Time travel: every retry is due now."""
    with transaction(sessions) as session:
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))


def test_a_finished_document_is_delivered_once_signed_and_never_again(
    context: WorkerContext,
) -> None:
    deliverer = Deliverer(context.sessions, DeliveryPolicy())
    with receiver() as hook:
        webhook_id = _register(context.sessions, hook.url, [FINISHED])
        document_id = _finished(context, "alpha")
        assert finalize_document(context, document_id)  # the reaper finalising again
        [pending] = _deliveries(context.sessions)
        assert (pending.state, pending.attempts, pending.event) == ("pending", 0, FINISHED)
        report = deliverer.run_pass()
        assert (report.delivered, report.failed, report.dead) == (1, 0, 0)
        assert deliverer.run_pass().attempts == 0
        assert finalize_document(context, document_id)
        assert deliverer.run_pass().attempts == 0
        [arrival] = hook.arrivals
    deliverer.close()
    assert arrival.signed_with(SECRET)
    assert not arrival.signed_with(SECRET + "x")
    assert arrival.event == FINISHED
    assert arrival.delivery_id == pending.id
    assert arrival.headers["content-type"] == "application/json"
    assert arrival.headers["user-agent"] == "Greenhouse-Webhooks/1"
    assert arrival.body == delivery_body(pending.payload)
    payload = json.loads(arrival.body)
    with transaction(context.sessions) as session:
        document = session.get(Document, document_id)
        assert document is not None
        finished_at = document.finished_at
        created_at = document.created_at
    assert finished_at is not None
    assert payload == {
        "event": FINISHED,
        "occurred_at": finished_at.isoformat().replace("+00:00", "Z"),
        "document": {
            "id": document_id,
            "collection": "alpha",
            "status": "done",
            "filename": "x.pdf",
            "media_type": "application/pdf",
            "page_count": 2,
            "jobs_total": 2,
            "jobs_succeeded": 2,
            "jobs_failed": 0,
            "error_category": None,
            "error_message": None,
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "finished_at": finished_at.isoformat().replace("+00:00", "Z"),
            "result_path": f"/v1/documents/{document_id}/result",
        },
    }
    [delivered] = _deliveries(context.sessions)
    assert (delivered.state, delivered.attempts, delivered.last_status_code) == (
        "delivered",
        1,
        200,
    )
    assert delivered.webhook_id == webhook_id
    assert delivered.delivered_at is not None and delivered.lease_owner is None


def test_a_500_is_retried_with_backoff_until_delivered(context: WorkerContext) -> None:
    policy = DeliveryPolicy()
    deliverer = Deliverer(context.sessions, policy)
    answers = [Answer(500, body=b"down for maintenance"), Answer(500), Answer(200)]
    with receiver(lambda n: answers[n]) as hook:
        webhook_id = _register(context.sessions, hook.url, [FINISHED])
        _finished(context)
        for attempt, expected_state in ((1, "failed"), (2, "failed"), (3, "delivered")):
            before = utcnow()
            report = deliverer.run_pass()
            assert report.attempts == 1
            assert deliverer.run_pass().attempts == 0  # not due before its backoff
            [row] = _deliveries(context.sessions)
            assert (row.state, row.attempts) == (expected_state, attempt)
            if expected_state == "failed":
                assert row.last_status_code == 500
                assert row.last_attempt_at is not None and row.last_attempt_at >= before
                waited = (row.next_attempt_at - row.last_attempt_at).total_seconds()
                delay = retry_delay(policy, row.id, attempt)
                assert delay <= waited < delay + 2.0
                assert 8.0 * 2 ** (attempt - 1) <= delay < 12.0 * 2 ** (attempt - 1)
                _make_due(context.sessions)
        arrivals = hook.arrivals
    deliverer.close()
    assert len(arrivals) == 3
    assert {arrival.delivery_id for arrival in arrivals} == {row.id}
    assert all(arrival.signed_with(SECRET) for arrival in arrivals)
    assert row.last_status_code == 200 and row.last_error is None
    with transaction(context.sessions) as session:
        webhook = session.get(Webhook, webhook_id)
        assert webhook is not None and webhook.consecutive_failures == 0


def test_the_first_failure_is_logged_with_the_receivers_answer(context: WorkerContext) -> None:
    deliverer = Deliverer(context.sessions, DeliveryPolicy())
    with receiver(lambda n: Answer(503, body=b"x" * 5000)) as hook:
        _register(context.sessions, hook.url, [FINISHED])
        _finished(context)
        deliverer.run_pass()
    deliverer.close()
    [row] = _deliveries(context.sessions)
    assert row.last_error == "HTTP 503: " + "x" * 512


def test_concurrent_passes_and_a_late_success_never_send_a_delivered_row_again(
    context: WorkerContext,
) -> None:
    policy = DeliveryPolicy()
    with receiver(lambda n: Answer(200, delay=0.5)) as hook:
        _register(context.sessions, hook.url, [FINISHED])
        _finished(context)
        deliverers = [Deliverer(context.sessions, policy) for _ in range(3)]
        threads = [threading.Thread(target=d.run_pass) for d in deliverers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(hook.arrivals) == 1  # the others found it leased
        assert all(d.run_pass().attempts == 0 for d in deliverers)
        assert len(hook.arrivals) == 1
        for deliverer in deliverers:
            deliverer.close()
    [row] = _deliveries(context.sessions)
    assert (row.state, row.attempts) == ("delivered", 1)


def test_a_stalled_deliverer_losing_its_lease_cannot_undo_or_repeat_a_delivery(
    context: WorkerContext,
) -> None:
    """A deliverer stalls past its lease (a frozen process); another one delivers; the first
    then wakes up: its late 200 changes nothing, its failure is not recorded, nothing is sent
    again."""
    policy = DeliveryPolicy()
    with receiver() as hook:
        _register(context.sessions, hook.url, [FINISHED])
        _finished(context)
        with transaction(context.sessions) as session:
            [stalled] = claim_due(
                session,
                "stalled",
                lease_seconds=0.2,
                max_attempts=10,
                disable_after=20,
                limit=10,
            )
        time.sleep(0.3)
        deliverer = Deliverer(context.sessions, policy)
        assert deliverer.run_pass().delivered == 1
        [first] = _deliveries(context.sessions)
        with transaction(context.sessions) as session:
            assert not record_delivered(session, stalled.id, 200)
            refused = record_failed(
                session,
                stalled.id,
                "stalled",
                status_code=None,
                error="ReadTimeout",
                retry_at=utcnow(),
                disable_after=20,
            )
            assert not refused.recorded
        _make_due(context.sessions)
        assert deliverer.run_pass().attempts == 0
        deliverer.close()
        assert len(hook.arrivals) == 1
    [row] = _deliveries(context.sessions)
    assert (row.state, row.attempts, row.delivered_at) == ("delivered", 2, first.delivered_at)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(context: WorkerContext) -> None:
    deliverer = Deliverer(context.sessions, DeliveryPolicy())
    with receiver() as elsewhere:
        moved = Answer(302, headers={"Location": elsewhere.url})
        with receiver(lambda n: moved) as hook:
            _register(context.sessions, hook.url, [FINISHED])
            _finished(context)
            assert deliverer.run_pass().failed == 1
            assert len(hook.arrivals) == 1
        assert elsewhere.arrivals == []
    deliverer.close()
    [row] = _deliveries(context.sessions)
    assert (row.state, row.last_status_code) == ("failed", 302)
    assert row.last_error == f"HTTP 302: redirects are not followed (to {elsewhere.url})"


def test_an_unreachable_receiver_is_a_failure_with_the_network_error(
    context: WorkerContext,
) -> None:
    deliverer = Deliverer(context.sessions, DeliveryPolicy(timeout_seconds=2))
    with receiver() as gone:
        url = gone.url
    _register(context.sessions, url, [FINISHED])
    _finished(context)
    assert deliverer.run_pass().failed == 1
    deliverer.close()
    [row] = _deliveries(context.sessions)
    assert row.state == "failed" and row.last_status_code is None
    assert row.last_error is not None and row.last_error.startswith("ConnectError: ")


def test_repeated_dead_deliveries_disable_the_webhook_until_it_is_enabled(
    context: WorkerContext,
) -> None:
    policy = DeliveryPolicy(max_attempts=2, disable_after=3)
    deliverer = Deliverer(context.sessions, policy)
    healthy = threading.Event()
    with receiver(lambda n: Answer(200 if healthy.is_set() else 500)) as hook:
        webhook_id = _register(context.sessions, hook.url, [FINISHED])
        for _ in range(3):
            _finished(context)
        assert deliverer.run_pass().failed == 3
        _make_due(context.sessions)
        report = deliverer.run_pass()
        assert (report.dead, report.disabled) == (3, [webhook_id])
        assert len(hook.arrivals) == 6
        with transaction(context.sessions) as session:
            webhook = session.get(Webhook, webhook_id)
            assert webhook is not None
            assert (webhook.enabled, webhook.consecutive_failures) == (False, 3)
            assert webhook.disabled_at is not None
            assert webhook.disabled_reason == (
                "3 deliveries in a row failed every attempt; the last: HTTP 500: ok"
            )
        _finished(context)  # no event for a disabled webhook
        assert len(_deliveries(context.sessions)) == 3
        with transaction(context.sessions) as session:
            enable_webhook(session, webhook_id)
        healthy.set()
        fresh = _finished(context)
        assert deliverer.run_pass().delivered == 1
        deliverer.close()
        assert len(hook.arrivals) == 7
    states = {(row.document_id == fresh, row.state) for row in _deliveries(context.sessions)}
    assert states == {(False, "dead"), (True, "delivered")}
    with transaction(context.sessions) as session:
        webhook = session.get(Webhook, webhook_id)
        assert webhook is not None
        assert (webhook.enabled, webhook.consecutive_failures) == (True, 0)


def test_pending_deliveries_of_a_disabled_webhook_wait_for_it(context: WorkerContext) -> None:
    deliverer = Deliverer(context.sessions, DeliveryPolicy())
    with receiver() as hook:
        webhook_id = _register(context.sessions, hook.url, [FINISHED])
        _finished(context)
        with transaction(context.sessions) as session:
            session.execute(update(Webhook).values(enabled=False))
        assert deliverer.run_pass().attempts == 0
        with transaction(context.sessions) as session:
            enable_webhook(session, webhook_id)
        assert deliverer.run_pass().delivered == 1
        deliverer.close()
        assert len(hook.arrivals) == 1


def test_events_and_collections_filter_exactly(context: WorkerContext, tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/unused"
    every_finish = _register(context.sessions, url, [FINISHED])
    failures = _register(context.sessions, url, [FAILED])
    alpha_finish = _register(context.sessions, url, [FINISHED], ["alpha"])
    beta_all = _register(context.sessions, url, [FINISHED, FAILED], ["beta", "delta"])
    disabled = _register(context.sessions, url, [FINISHED, FAILED])
    with transaction(context.sessions) as session:
        session.execute(update(Webhook).where(Webhook.id == disabled).values(enabled=False))
    alpha = _finished(context, "alpha")
    beta_partial = _finished(context, "beta", failed_jobs=1)
    gamma_failed = _finished(context, "gamma", failed_jobs=2)
    intake = take_in(
        context.sessions,
        BlobStore(tmp_path / "blobs"),
        io.BytesIO(b"not a pdf"),
        filename="bad.bin",
        collection="beta",
        options={},
    )
    with transaction(context.sessions) as session:
        assert fail_document(
            session, intake.document.id, category=ErrorCategory.CORRUPT_FILE, message="broken"
        )
        assert not fail_document(  # already failed: no second event
            session, intake.document.id, category=ErrorCategory.CORRUPT_FILE, message="broken"
        )
    beta_corrupt = intake.document.id
    got = {(row.webhook_id, row.document_id, row.event) for row in _deliveries(context.sessions)}
    assert got == {
        (every_finish, alpha, FINISHED),
        (every_finish, beta_partial, FINISHED),
        (alpha_finish, alpha, FINISHED),
        (beta_all, beta_partial, FINISHED),
        (failures, gamma_failed, FAILED),
        (failures, beta_corrupt, FAILED),
        (beta_all, beta_corrupt, FAILED),
    }
    corrupt = next(r for r in _deliveries(context.sessions) if r.document_id == beta_corrupt)
    assert corrupt.payload["document"]["status"] == "failed"
    assert corrupt.payload["document"]["error_category"] == "corrupt_file"
    assert corrupt.payload["document"]["result_path"] is None
    partial = next(r for r in _deliveries(context.sessions) if r.document_id == beta_partial)
    assert partial.payload["document"]["status"] == "partial"
    assert partial.payload["document"]["jobs_failed"] == 1


def test_a_document_given_up_for_lost_workers_raises_document_failed(
    context: WorkerContext,
) -> None:
    _register(context.sessions, "http://127.0.0.1:9/unused", [FAILED])
    intake = take_in(
        context.sessions,
        context.blobs,
        io.BytesIO(b"%PDF-lost"),
        filename="lost.pdf",
        collection="c",
        options={},
    )
    with transaction(context.sessions) as session:
        session.execute(
            update(Document)
            .where(Document.id == intake.document.id)
            .values(attempts=3, lease_owner="dead", lease_expires_at=utcnow() - timedelta(1))
        )
    with transaction(context.sessions) as session:
        assert claim_for_chunking(session, intake.document.id, "w", 60, max_attempts=3) is None
    [row] = _deliveries(context.sessions)
    assert (row.document_id, row.event) == (intake.document.id, FAILED)
    assert row.payload["document"]["error_category"] == "worker_lost"


def test_a_delivery_thread_sends_what_becomes_due_and_prunes_the_old_log(
    context: WorkerContext,
) -> None:
    deliverer = Deliverer(context.sessions, DeliveryPolicy())
    with receiver() as hook:
        webhook_id = _register(context.sessions, hook.url, [FINISHED])
        old = [_finished(context) for _ in range(4)]
        with transaction(context.sessions) as session:
            states = ("delivered", "dead", "failed", "delivered")
            for document_id, state in zip(old, states, strict=True):
                session.execute(
                    update(WebhookDelivery)
                    .where(WebhookDelivery.document_id == document_id)
                    .values(
                        state=state,
                        next_attempt_at=utcnow() + timedelta(hours=1),
                        created_at=utcnow() - timedelta(days=31 if document_id != old[3] else 29),
                    )
                )
        thread = DeliveryThread(deliverer, interval=0.1)
        thread.start()
        fresh = _finished(context)
        [arrival] = hook.wait_for(1, 10)
        thread.stop()
        thread.join(10)
        deliverer.close()
    assert json.loads(arrival.body)["document"]["id"] == fresh
    left = {(row.document_id, row.state) for row in _deliveries(context.sessions)}
    assert left == {(old[2], "failed"), (old[3], "delivered"), (fresh, "delivered")}
    assert all(row.webhook_id == webhook_id for row in _deliveries(context.sessions))


def test_a_slow_receiver_holds_up_one_sender_not_the_other_webhooks(
    context: WorkerContext,
) -> None:
    with receiver(lambda n: Answer(200, delay=1.0)) as slow, receiver() as fast:
        _register(context.sessions, slow.url, [FINISHED])
        _register(context.sessions, fast.url, [FINISHED])
        for _ in range(3):
            _finished(context)
        timings = []
        for senders in (1, 4):
            deliverer = Deliverer(context.sessions, DeliveryPolicy(senders=senders))
            started = time.monotonic()
            assert deliverer.run_pass().delivered == 6
            timings.append(time.monotonic() - started)
            deliverer.close()
            with transaction(context.sessions) as session:
                session.execute(update(WebhookDelivery).values(state="pending", attempts=0))
        assert len(slow.arrivals) == 6 and len(fast.arrivals) == 6
    one_sender, four_senders = timings
    assert one_sender >= 3.0  # the three slow answers one after the other
    assert four_senders < 2.0  # at once, the fast receiver served meanwhile
