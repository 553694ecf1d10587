"""/v1/webhooks on both backends: admin keys only, the secret shown once, hostile targets and
bodies refused with a 4xx in the error shape, the delivery log paginated, ping and re-enable."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update

from api.app import create_app
from schemas.api_keys import Scope
from schemas.settings import Settings
from storage.database import SessionFactory, make_session_factory, transaction
from storage.models import Webhook
from storage.webhook_events import add_ping
from tests.api.test_documents_api import RecordingDispatcher
from tests.support.keys import bearer, new_token

HOOK = "https://hooks.lan/greenhouse"


@dataclass
class Api:
    client: TestClient
    sessions: SessionFactory
    admin: dict[str, str]
    admin_key_id: str
    writer: dict[str, str]


@pytest.fixture
def api(any_engine: Engine, tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        auth="keys",
    )
    sessions = make_session_factory(any_engine)
    admin_token = new_token(sessions, "ops", set(Scope), None)
    writer_token = new_token(sessions, "w", {Scope.READ, Scope.WRITE}, None)
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        yield Api(
            client, sessions, bearer(admin_token), admin_token.split("_")[1], bearer(writer_token)
        )


def _create(api: Api, **body: Any) -> dict[str, Any]:
    response = api.client.post(
        "/v1/webhooks",
        json={"url": HOOK, "events": ["document.finished"], **body},
        headers=api.admin,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_registering_shows_the_secret_once(api: Api) -> None:
    created = _create(api, events=["document.finished", "document.failed"])
    assert created["secret"].startswith("whsec_") and len(created["secret"]) == 49
    assert created["events"] == ["document.failed", "document.finished"]
    assert created["collections"] is None
    assert created["enabled"] is True and created["consecutive_failures"] == 0
    assert created["created_by"] == api.admin_key_id
    shown = api.client.get(f"/v1/webhooks/{created['id']}", headers=api.admin).json()
    assert shown == {key: value for key, value in created.items() if key != "secret"}
    listed = api.client.get("/v1/webhooks", headers=api.admin).json()
    assert listed == [shown]
    own = _create(api, secret="my-own-secret-0123456789", collections=["b", "a", "b"])
    assert own["secret"] == "my-own-secret-0123456789"
    assert own["collections"] == ["a", "b"]
    with transaction(api.sessions) as session:
        stored = session.get(Webhook, own["id"])
        assert stored is not None and stored.secret == "my-own-secret-0123456789"


def test_only_admin_keys_manage_webhooks(api: Api) -> None:
    created = _create(api)
    base = f"/v1/webhooks/{created['id']}"
    for method, path in (
        ("POST", "/v1/webhooks"),
        ("GET", "/v1/webhooks"),
        ("GET", base),
        ("DELETE", base),
        ("POST", f"{base}/enable"),
        ("POST", f"{base}/test"),
        ("GET", f"{base}/deliveries"),
    ):
        body = {"url": HOOK, "events": ["document.finished"]} if method == "POST" else None
        response = api.client.request(method, path, json=body, headers=api.writer)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "forbidden"
        assert api.client.request(method, path, json=body).status_code == 401


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"url": "ftp://hooks.lan/x"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "https://user:pass@hooks.lan/"}, "url"),
        ({"url": "https://hooks.lan/\r\nX: y"}, "url"),
        ({"url": "https://hooks.lan:70000/"}, "url"),
        ({"url": "https://" + "a" * 2000 + ".lan/"}, "url"),
        ({"url": ""}, "url"),
        ({"url": 7}, "url"),
        ({"events": []}, "events"),
        ({"events": ["document.deleted"]}, "events"),
        ({"events": ["ping"]}, "events"),
        ({"collections": []}, "collections"),
        ({"collections": ["x" * 201]}, "collections"),
        ({"secret": "short"}, "secret"),
        ({"secret": "sixteen chars ok"}, "secret"),
        ({"secret": "x" * 257}, "secret"),
    ],
)
def test_hostile_bodies_are_refused(api: Api, body: dict[str, Any], location: str) -> None:
    full = {"url": HOOK, "events": ["document.finished"], **body}
    response = api.client.post("/v1/webhooks", json=full, headers=api.admin)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["detail"][0]["loc"][:2] == ["body", location]
    assert api.client.get("/v1/webhooks", headers=api.admin).json() == []


def test_unknown_ids_are_404(api: Api) -> None:
    for method, suffix in (
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/enable"),
        ("POST", "/test"),
        ("GET", "/deliveries"),
    ):
        response = api.client.request(method, f"/v1/webhooks/nope{suffix}", headers=api.admin)
        assert response.status_code == 404, (method, suffix)
        assert response.json()["error"]["message"] == "no webhook with id 'nope'"


def test_ping_lists_and_pages_the_delivery_log(api: Api) -> None:
    webhook_id = _create(api)["id"]
    ping = api.client.post(f"/v1/webhooks/{webhook_id}/test", headers=api.admin)
    assert ping.status_code == 202
    first = ping.json()
    assert (first["event"], first["state"], first["attempts"]) == ("ping", "pending", 0)
    assert first["document_id"] is None
    assert first["payload"]["event"] == "ping" and first["payload"]["document"] is None
    with transaction(api.sessions) as session:
        more = [add_ping(session, webhook_id).id for _ in range(4)]
    log = f"/v1/webhooks/{webhook_id}/deliveries"
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        page = api.client.get(log, params=params, headers=api.admin).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted([first["id"], *more]) and len(seen) == 5
    assert seen[-1] == first["id"]  # newest first
    delivered = api.client.get(log, params={"state": "delivered"}, headers=api.admin).json()
    assert delivered == {"items": [], "next_cursor": None}
    bad = api.client.get(log, params={"cursor": "nonsense"}, headers=api.admin)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    wrong_state = api.client.get(log, params={"state": "lost"}, headers=api.admin)
    assert wrong_state.status_code == 422


def test_a_disabled_webhook_refuses_pings_until_enabled(api: Api) -> None:
    webhook_id = _create(api)["id"]
    with transaction(api.sessions) as session:
        session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(enabled=False, disabled_reason="20 deliveries failed", consecutive_failures=20)
        )
    refused = api.client.post(f"/v1/webhooks/{webhook_id}/test", headers=api.admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "webhook_disabled"
    enabled = api.client.post(f"/v1/webhooks/{webhook_id}/enable", headers=api.admin).json()
    assert enabled["enabled"] is True
    assert (enabled["disabled_reason"], enabled["consecutive_failures"]) == (None, 0)
    assert api.client.post(f"/v1/webhooks/{webhook_id}/test", headers=api.admin).status_code == 202


def test_deleting_removes_the_webhook_and_its_log(api: Api) -> None:
    webhook_id = _create(api)["id"]
    api.client.post(f"/v1/webhooks/{webhook_id}/test", headers=api.admin)
    deleted = api.client.delete(f"/v1/webhooks/{webhook_id}", headers=api.admin)
    assert deleted.status_code == 200 and deleted.json()["id"] == webhook_id
    assert "secret" not in deleted.json()
    assert api.client.get(f"/v1/webhooks/{webhook_id}", headers=api.admin).status_code == 404
    log = api.client.get(f"/v1/webhooks/{webhook_id}/deliveries", headers=api.admin)
    assert log.status_code == 404
