"""API keys on both backends: every /v1 route and /metrics need one; a key sees only its
collections (404 for another collection's ids, 403 for a named collection it lacks); scopes
gate writes and administration; revoked keys fail; secrets are stored only as digests; lease
owners, internal addresses and exception class names reach admin keys only."""

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from api.routes_metrics import metrics_only_app
from schemas.api_keys import Scope
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.ledger import ExtractionRecord, Usage, claim_job, complete_job, park_job
from storage.models import ApiKey
from storage.results import save_document_result
from tests.api.test_documents_api import RecordingDispatcher
from tests.integration.ledger_helpers import document_with_jobs
from tests.support.keys import bearer, new_token

LEASE_OWNER = "worker-7@gpu-host/4242"
WAITING_REASON = (
    "the server is down: 5 failures over 130 s and /health is not OK; last error: connect "
    "talking to http://vllm-moe:8000: ConnectError('All connection attempts failed')"
)
PUBLIC_WAITING_REASON = (
    "the server is down: 5 failures over 130 s and /health is not OK; last error: connect "
    "talking to <internal address>: <internal error>('All connection attempts failed')"
)


@dataclass
class World:
    """Two collections' documents and the keys that look at them."""

    client: TestClient
    engine: Engine
    alpha_document: str
    alpha_jobs: list[str]
    beta_document: str
    beta_jobs: list[str]
    admin: dict[str, str]
    alpha_reader: dict[str, str]
    alpha_writer: dict[str, str]
    alpha_read_write: dict[str, str]
    beta_reader: dict[str, str]


@pytest.fixture
def world(any_engine: Engine, tmp_path: Path) -> Iterator[World]:
    """alpha: a processing document (jobs succeeded, waiting on a model tier, running under a
    lease); beta: a finished document with its result."""
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        auth="keys",
    )
    sessions = make_session_factory(any_engine)
    blobs = BlobStore(tmp_path / "blobs")
    alpha, alpha_jobs = document_with_jobs(sessions, blobs, 3, b"%PDF-alpha", "alpha")
    beta, beta_jobs = document_with_jobs(sessions, blobs, 1, b"%PDF-beta", "beta")
    with transaction(sessions) as session:
        for job_id in (alpha_jobs[0], alpha_jobs[1], alpha_jobs[2], beta_jobs[0]):
            claim_job(session, job_id, LEASE_OWNER, 600)
        for job_id, tokens in ((alpha_jobs[0], 10), (beta_jobs[0], 20)):
            record = ExtractionRecord(kind="page_content", data={"text": job_id}, provenance={})
            complete_job(session, job_id, LEASE_OWNER, record, Usage(tokens, 1))
        park_job(session, alpha_jobs[1], LEASE_OWNER, WAITING_REASON)
        save_document_result(session, beta, "pdf", {"pages": []})
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        yield World(
            client=client,
            engine=any_engine,
            alpha_document=alpha,
            alpha_jobs=alpha_jobs,
            beta_document=beta,
            beta_jobs=beta_jobs,
            admin=bearer(new_token(sessions, "ops", set(Scope), None)),
            alpha_reader=bearer(new_token(sessions, "a-r", {Scope.READ}, {"alpha"})),
            alpha_writer=bearer(new_token(sessions, "a-w", {Scope.WRITE}, {"alpha"})),
            alpha_read_write=bearer(
                new_token(sessions, "a-rw", {Scope.READ, Scope.WRITE}, {"alpha"})
            ),
            beta_reader=bearer(new_token(sessions, "b-r", {Scope.READ}, {"beta"})),
        )


def _operations(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every operation the app documents."""
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


def _guarded_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path with every parameter filled) of every /v1 route and /metrics."""
    return [
        (method, re.sub(r"\{[^}]+\}", "x", path))
        for method, path in _operations(client)
        if path.startswith("/v1/") or path == "/metrics"
    ]


def test_every_v1_route_and_metrics_refuse_a_missing_or_bad_key(world: World) -> None:
    routes = _guarded_routes(world.client)
    expected = {
        ("GET", "/v1/documents"),
        ("POST", "/v1/documents"),
        ("GET", "/v1/documents/x/result"),
        ("GET", "/v1/jobs/x"),
        ("GET", "/v1/extractions"),
        ("POST", "/v1/schemas"),
        ("GET", "/v1/keys"),
        ("DELETE", "/v1/keys/x"),
        ("GET", "/metrics"),
    }
    assert expected <= set(routes)
    bad_headers = [
        {},
        {"Authorization": "Bearer gh_000000000000_not-a-key"},
        {"Authorization": "Bearer not-even-shaped-like-a-key"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": world.admin["Authorization"] + "x"},
    ]
    for method, path in routes:
        for headers in bad_headers:
            response = world.client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, headers, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.json()["error"]["code"] == "unauthorized"
    assert world.client.get("/healthz").status_code == 200
    assert world.client.get("/readyz").status_code == 200


def _ids(items: list[dict[str, str]]) -> list[str]:
    return [item["id"] for item in items]


def test_a_key_sees_only_its_collections_in_lists_and_queries(world: World) -> None:
    client, alpha, beta = world.client, world.alpha_document, world.beta_document
    assert _ids(client.get("/v1/documents", headers=world.alpha_reader).json()["items"]) == [alpha]
    assert _ids(client.get("/v1/documents", headers=world.beta_reader).json()["items"]) == [beta]
    everything = client.get("/v1/documents", headers=world.admin).json()["items"]
    assert sorted(_ids(everything)) == sorted([alpha, beta])
    named = client.get("/v1/documents", params={"collection": "beta"}, headers=world.alpha_reader)
    assert named.status_code == 403 and named.json()["error"]["code"] == "forbidden"

    extractions = client.get("/v1/extractions", headers=world.alpha_reader).json()["items"]
    assert [item["document_id"] for item in extractions] == [alpha]
    assert [item["job_id"] for item in extractions] == [world.alpha_jobs[0]]
    extractions = client.get("/v1/extractions", headers=world.beta_reader).json()["items"]
    assert [item["job_id"] for item in extractions] == [world.beta_jobs[0]]
    named = client.get("/v1/extractions", params={"collection": "beta"}, headers=world.alpha_reader)
    assert named.status_code == 403


def test_another_collections_ids_are_not_found(world: World) -> None:
    """Every route addressing a document or job by id answers 404 to a key outside its
    collection, exactly as for an id that does not exist: existence is not confirmed."""
    client, beta = world.client, world.beta_document
    checked = []
    for method, path in _operations(client):
        if path.startswith("/v1/documents/{document_id}") and method in ("GET", "DELETE"):
            response = client.request(
                method, path.replace("{document_id}", beta), headers=world.alpha_read_write
            )
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
            assert response.json()["error"]["message"] == f"no document with id {beta!r}"
            checked.append((method, path))
    assert {
        ("GET", "/v1/documents/{document_id}"),
        ("GET", "/v1/documents/{document_id}/jobs"),
        ("GET", "/v1/documents/{document_id}/extractions"),
        ("GET", "/v1/documents/{document_id}/result"),
    } <= set(checked)
    job = client.get(f"/v1/jobs/{world.beta_jobs[0]}", headers=world.alpha_reader)
    assert job.status_code == 404
    assert job.json()["error"]["message"] == f"no job with id {world.beta_jobs[0]!r}"
    own_result = client.get(f"/v1/documents/{beta}/result", headers=world.beta_reader)
    assert own_result.status_code == 200 and own_result.json()["kind"] == "pdf"
    own_job = client.get(f"/v1/jobs/{world.beta_jobs[0]}", headers=world.beta_reader)
    assert own_job.status_code == 200 and own_job.json()["state"] == "succeeded"
    assert client.get(f"/v1/documents/{beta}", headers=world.beta_reader).status_code == 200


def test_metrics_count_only_the_keys_collections(world: World) -> None:
    alpha = world.client.get("/metrics", headers=world.alpha_reader).text
    assert _samples(alpha) == {
        'greenhouse_documents{status="processing"}': 1,
        'greenhouse_jobs{state="succeeded",tier="local"}': 1,
        'greenhouse_jobs{state="waiting",tier="local"}': 1,
        'greenhouse_jobs{state="running",tier="local"}': 1,
        'greenhouse_model_tokens_total{tier="local",direction="in"}': 10,
        'greenhouse_model_tokens_total{tier="local",direction="out"}': 1,
    }
    beta = world.client.get("/metrics", headers=world.beta_reader).text
    assert _samples(beta) == {
        'greenhouse_documents{status="done"}': 1,
        'greenhouse_jobs{state="succeeded",tier="local"}': 1,
        'greenhouse_model_tokens_total{tier="local",direction="in"}': 20,
        'greenhouse_model_tokens_total{tier="local",direction="out"}': 1,
    }
    everything = _samples(world.client.get("/metrics", headers=world.admin).text)
    assert everything['greenhouse_jobs{state="succeeded",tier="local"}'] == 2
    assert everything['greenhouse_model_tokens_total{tier="local",direction="in"}'] == 30


def _samples(text: str) -> dict[str, float]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in lines)}


def _upload(client: TestClient, headers: dict[str, str], collection: str) -> int:
    response = client.post(
        "/v1/documents",
        files={"file": ("new.pdf", io.BytesIO(b"%PDF-new " + collection.encode()))},
        data={"collection": collection},
        headers=headers,
    )
    return int(response.status_code)


def test_scopes_gate_writes_and_administration(world: World) -> None:
    client = world.client
    refused = client.post(
        "/v1/documents",
        files={"file": ("new.pdf", io.BytesIO(b"%PDF-x"))},
        data={"collection": "alpha"},
        headers=world.alpha_reader,
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "this key lacks the 'write' scope"
    assert _upload(client, world.alpha_writer, "beta") == 403
    assert _upload(client, world.alpha_writer, "alpha") == 202
    assert client.get("/v1/documents", headers=world.alpha_writer).status_code == 403
    schema = {"name": "invoice", "json_schema": {"type": "object", "properties": {}}}
    for headers in (world.alpha_reader, world.alpha_read_write):
        assert client.post("/v1/schemas", json=schema, headers=headers).status_code == 403
        assert client.get("/v1/keys", headers=headers).status_code == 403
    assert client.post("/v1/schemas", json=schema, headers=world.admin).status_code == 201
    assert client.get("/v1/schemas", headers=world.alpha_reader).status_code == 200


def test_keys_are_created_once_listed_without_secrets_and_revoked(world: World) -> None:
    client = world.client
    created = client.post(
        "/v1/keys",
        json={"name": "ci", "scopes": ["read"], "collections": ["alpha"]},
        headers=world.admin,
    )
    assert created.status_code == 201
    body = created.json()
    token, key_id = body["key"], body["id"]
    assert token.startswith(f"gh_{key_id}_")
    assert (body["scopes"], body["collections"], body["revoked_at"]) == (["read"], ["alpha"], None)
    assert client.get("/v1/documents", headers=bearer(token)).status_code == 200

    listed = client.get("/v1/keys", headers=world.admin)
    assert key_id in [key["id"] for key in listed.json()]
    assert all("key" not in key for key in listed.json())
    secret = token.split("_", 2)[2]
    assert secret not in listed.text

    revoked = client.delete(f"/v1/keys/{key_id}", headers=world.admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    after = client.get("/v1/documents", headers=bearer(token))
    assert after.status_code == 401
    assert after.json()["error"]["message"] == "the API key is invalid or revoked"
    assert client.delete("/v1/keys/nope", headers=world.admin).status_code == 404


def test_keys_are_stored_as_sha256_digests_of_their_secret(world: World) -> None:
    token = world.client.post(
        "/v1/keys",
        json={"name": "stored", "scopes": ["read", "write"], "collections": ["*"]},
        headers=world.admin,
    ).json()["key"]
    _, key_id, secret = token.split("_", 2)
    with transaction(make_session_factory(world.engine)) as session:
        row = session.scalars(select(ApiKey).where(ApiKey.id == key_id)).one()
        stored = [row.id, row.name, row.secret_sha256, row.scopes, row.collections]
    assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
    assert stored[4] is None
    assert not any(secret in str(value) or token in str(value) for value in stored)


@pytest.mark.parametrize(
    ("scopes", "collections", "message"),
    [
        (["admin"], ["alpha"], "an admin key covers every collection: use --collections '*'"),
        (["read", "root"], ["alpha"], "unknown scope(s) root; use read, write, admin"),
        (["read"], ["*", "alpha"], "give collection names, or * alone for every collection"),
    ],
)
def test_key_requests_that_cannot_be_granted(
    world: World, scopes: list[str], collections: list[str], message: str
) -> None:
    response = world.client.post(
        "/v1/keys",
        json={"name": "bad", "scopes": scopes, "collections": collections},
        headers=world.admin,
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("invalid_key", message)


def test_lease_owners_and_internal_addresses_reach_admin_keys_only(world: World) -> None:
    path = f"/v1/documents/{world.alpha_document}/jobs"
    public = world.client.get(path, headers=world.alpha_reader).json()
    internal = world.client.get(path, headers=world.admin).json()
    assert [job["state"] for job in public] == ["succeeded", "waiting", "running"]
    assert [job["lease_owner"] for job in public] == [None, None, None]
    assert [job["lease_owner"] for job in internal] == [None, None, LEASE_OWNER]
    assert public[1]["error"] == {"category": "waiting", "message": PUBLIC_WAITING_REASON}
    assert internal[1]["error"] == {"category": "waiting", "message": WAITING_REASON}
    running = world.alpha_jobs[2]
    one = world.client.get(f"/v1/jobs/{running}", headers=world.alpha_reader).json()
    assert one["lease_owner"] is None
    one = world.client.get(f"/v1/jobs/{running}", headers=world.admin).json()
    assert one["lease_owner"] == LEASE_OWNER


def test_readiness_names_the_failure_to_admin_keys_only(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=sqlite_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        broker_url="redis://127.0.0.1:1/0",
        auth="keys",
    )
    sessions = make_session_factory(sqlite_engine)
    admin = bearer(new_token(sessions, "ops", set(Scope), None))
    reader = bearer(new_token(sessions, "r", {Scope.READ}, None))
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        for headers in ({}, reader, {"Authorization": "Bearer wrong"}):
            response = client.get("/readyz", headers=headers)
            assert response.status_code == 503
            assert response.json()["checks"] == {"database": "ok", "broker": "error"}
        response = client.get("/readyz", headers=admin)
    assert response.json()["checks"] == {"database": "ok", "broker": "error: ConnectionError"}


def test_the_metrics_listener_serves_every_collection_without_a_key(world: World) -> None:
    """GREENHOUSE_METRICS_ADDRESS: only /metrics, on an address only the scraper reaches."""
    listener = TestClient(metrics_only_app(world.client.app.state.greenhouse))  # type: ignore[attr-defined]
    samples = _samples(listener.get("/metrics").text)
    assert samples['greenhouse_model_tokens_total{tier="local",direction="in"}'] == 30
    assert listener.get("/v1/documents").status_code == 404
    assert listener.get("/v1/keys").status_code == 404
    assert world.client.get("/metrics").status_code == 401
