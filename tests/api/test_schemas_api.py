"""/v1/schemas: registering the schemas documents can be extracted into."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.settings import Settings
from tests.api.test_documents_api import RecordingDispatcher

INVOICE = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": "string"},
        "total": {"type": "number"},
        "lines": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"item": {"type": "string"}, "amount": {"type": "number"}},
                "required": ["item", "amount"],
            },
        },
    },
    "required": ["invoice_number", "total"],
}


@pytest.fixture
def client(any_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
    )
    with TestClient(create_app(settings, RecordingDispatcher())) as test_client:
        yield test_client


def _register(client: TestClient, schema: dict, name: str = "invoice"):
    return client.post(
        "/v1/schemas", json={"name": name, "json_schema": schema, "description": "invoices"}
    )


def test_register_list_show_and_idempotence(client: TestClient) -> None:
    created = _register(client, INVOICE)
    assert created.status_code == 201, created.text
    assert created.json()["json_schema"] == INVOICE
    assert _register(client, INVOICE).status_code == 200
    changed_schema = {**INVOICE, "required": ["total"]}
    changed = _register(client, changed_schema)
    assert changed.status_code == 201, changed.text
    assert changed.json()["version"] == 2
    assert _register(client, changed_schema).status_code == 200  # the latest again: no-op
    assert [s["name"] for s in client.get("/v1/schemas").json()["items"]] == ["invoice"]
    shown = client.get("/v1/schemas/invoice").json()
    assert shown["description"] == "invoices"
    assert (shown["version"], shown["json_schema"]) == (2, changed_schema)
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    first = client.get("/v1/schemas/invoice/versions/1").json()
    assert (first["version"], first["json_schema"]) == (1, INVOICE)
    assert client.get("/v1/schemas/invoice/versions/3").status_code == 404
    assert client.get("/v1/schemas/invoice/versions/0").status_code == 422
    assert client.get("/v1/schemas/nope").status_code == 404


def test_invalid_and_unenforceable_schemas_are_refused(client: TestClient) -> None:
    invalid = _register(client, {"type": "object", "properties": {"n": {"type": 7}}})
    assert invalid.status_code == 422
    assert invalid.json()["error"]["code"] == "invalid_schema"
    unsupported = _register(
        client, {"type": "object", "properties": {"n": {"type": "number", "multipleOf": 5}}}
    )
    assert unsupported.status_code == 422
    assert unsupported.json()["error"]["code"] == "unsupported_schema"
    assert any("multipleOf" in line for line in unsupported.json()["error"]["detail"])
    assert _register(client, {"type": "array"}).status_code == 422
    misused = _register(
        client,
        {"type": "object", "properties": {"n": {"type": "string", "x-greenhouse-merge": "sum"}}},
    )
    assert misused.status_code == 422
    assert misused.json()["error"]["detail"] == [
        "#/properties/n: 'x-greenhouse-merge: sum' needs a number or integer, not string"
    ]
    assert _register(client, INVOICE, name="Bad Name!").status_code == 422


def test_uploads_must_name_a_registered_schema(client: TestClient) -> None:
    pdf = b"%PDF-1.4 stand-in bytes"
    files = {"file": ("doc.pdf", io.BytesIO(pdf), "application/pdf")}
    unknown = client.post("/v1/documents", files=files, data={"schema": "invoice"})
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "unknown_schema"
    _register(client, INVOICE)
    files = {"file": ("doc.pdf", io.BytesIO(pdf), "application/pdf")}
    accepted = client.post("/v1/documents", files=files, data={"schema": "invoice"})
    assert accepted.status_code == 202
    assert accepted.json()["options"] == {"schema": "invoice"}
