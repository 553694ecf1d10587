"""GET /v1/exports on known results: exact rows in JSONL, the same rows read back from CSV
(csv module) and Parquet (pyarrow), flattened schema fields and their item table, incremental
exports that return each change once (also while results are written during the exports),
the key's collections, and hostile parameters refused in the error shape."""

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from api.app import create_app
from cli.main import main
from greenhouse.client import GreenhouseClient
from schemas.api_keys import Scope
from schemas.settings import Settings
from storage.database import SessionFactory, make_session_factory, transaction
from storage.exports import change_number
from storage.extraction_schemas import register_schema
from storage.models import Document, DocumentResult
from tests.api.test_documents_api import RecordingDispatcher
from tests.support.keys import bearer, new_token
from tests.support.live_api import live_api

INVOICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "vendor": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "vat_id": {"type": ["string", "null"]}},
        },
        "total": {"type": "number"},
        "paid": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"description": {"type": "string"}, "quantity": {"type": "integer"}},
            },
        },
    },
}
MAIN_COLUMNS = [
    "document_id",
    "collection",
    "updated_at",
    "watermark",
    "kind",
    "schema",
    "schema_version",
]
TEXT_COLUMNS = [*MAIN_COLUMNS, "text", "markdown"]
INVOICE_COLUMNS = [*MAIN_COLUMNS, "paid", "tags", "total", "vendor.name", "vendor.vat_id"]
ITEM_COLUMNS = ["document_id", "collection", "updated_at", "watermark", "index"]
ITEM_COLUMNS += ["description", "quantity"]


def _app(engine: Engine, tmp_path: Path, auth: Literal["keys", "disabled"] = "disabled") -> FastAPI:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        auth=auth,
    )
    return create_app(settings, RecordingDispatcher())


@pytest.fixture
def client(any_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(_app(any_engine, tmp_path)) as test_client:
        yield test_client


@pytest.fixture
def sessions(any_engine: Engine) -> SessionFactory:
    return make_session_factory(any_engine)


def _document(sessions: SessionFactory, name: str, collection: str, schema: str | None) -> str:
    with transaction(sessions) as session:
        document = Document(
            collection=collection,
            filename=name,
            sha256=name.ljust(64, "0")[:64],
            size_bytes=1,
            dedupe_key=name,
            media_type="application/pdf",
            options={"schema": schema} if schema else {},
            status="done",
        )
        session.add(document)
        session.flush()
        return document.id


def _write_result(sessions: SessionFactory, document_id: str, data: dict[str, Any]) -> None:
    """Insert the document's result, or rewrite it (a re-processing's new result)."""
    with transaction(sessions) as session:
        _write_in(session, document_id, data)


def _write_in(session: Any, document_id: str, data: dict[str, Any]) -> None:
    stored = session.scalars(
        select(DocumentResult).where(DocumentResult.document_id == document_id)
    ).first()
    if stored is None:
        session.add(DocumentResult(document_id=document_id, kind="document_pages", data=data))
    else:
        stored.data = data
    session.flush()


def _text(text: str) -> dict[str, Any]:
    return {"text": text, "markdown": f"# {text}", "page_count": 1, "failed_pages": [], "pages": []}


def _invoice(fields: dict[str, Any]) -> dict[str, Any]:
    return {**_text("invoice"), "schema": {"name": "invoice", "version": 1}, "fields": fields}


def _stored(sessions: SessionFactory, document_id: str) -> tuple[str, int]:
    """(updated_at as ISO text, change number) of the stored result."""
    with transaction(sessions) as session:
        updated_at, change = session.execute(
            select(DocumentResult.updated_at, change_number).where(
                DocumentResult.document_id == document_id
            )
        ).one()
    return updated_at.isoformat(), int(change)


def _export(client: TestClient, **params: Any) -> tuple[list[dict[str, Any]], int, Any]:
    response = client.get("/v1/exports", params=params)
    assert response.status_code == 200, response.text
    rows = [json.loads(line) for line in response.text.splitlines()]
    return rows, int(response.headers["X-Greenhouse-Watermark"]), response


def _as_csv_fields(row: dict[str, Any]) -> dict[str, str]:
    """A JSONL row as the CSV export writes it."""
    return {
        name: ""
        if value is None
        else ("true" if value is True else "false" if value is False else str(value))
        for name, value in row.items()
    }


def _parquet_rows(content: bytes) -> list[dict[str, Any]]:
    return [
        {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in row.items()
        }
        for row in pq.read_table(io.BytesIO(content)).to_pylist()
    ]


def _same_in_every_format(
    client: TestClient, rows: list[dict[str, Any]], columns: list[str], **params: Any
) -> None:
    as_csv = client.get("/v1/exports", params={**params, "format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(as_csv.text))
    assert reader.fieldnames == columns
    assert list(reader) == [_as_csv_fields(row) for row in rows]
    as_parquet = client.get("/v1/exports", params={**params, "format": "parquet"})
    assert as_parquet.status_code == 200, as_parquet.text
    assert as_parquet.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(as_parquet.content))
    assert table.column_names == columns
    assert _parquet_rows(as_parquet.content) == rows


def test_results_read_without_a_schema_export_their_text_in_every_format(
    client: TestClient, sessions: SessionFactory
) -> None:
    first = _document(sessions, "a.pdf", "farm", None)
    second = _document(sessions, "b.pdf", "farm", None)
    third = _document(sessions, "c.pdf", "orchard", None)
    for document_id, text in ((first, "tomatoes"), (second, "cucumbers"), (third, 'pears, "ripe"')):
        _write_result(sessions, document_id, _text(text))
    rows, watermark, response = _export(client)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["X-Greenhouse-Tables"] == "main"
    expected = []
    for document_id, collection, text in (
        (first, "farm", "tomatoes"),
        (second, "farm", "cucumbers"),
        (third, "orchard", 'pears, "ripe"'),
    ):
        updated_at, change = _stored(sessions, document_id)
        expected.append(
            {
                "document_id": document_id,
                "collection": collection,
                "updated_at": updated_at,
                "watermark": change,
                "kind": "document_pages",
                "schema": None,
                "schema_version": None,
                "text": text,
                "markdown": f"# {text}",
            }
        )
    assert rows == expected
    assert [list(row) for row in rows] == [TEXT_COLUMNS] * 3
    assert watermark == expected[-1]["watermark"]
    _same_in_every_format(client, rows, TEXT_COLUMNS)
    only_orchard, _, _ = _export(client, collection="orchard")
    assert only_orchard == expected[2:]


def test_schema_fields_flatten_into_columns_and_items_into_a_second_table(
    client: TestClient, sessions: SessionFactory
) -> None:
    with transaction(sessions) as session:
        register_schema(session, "invoice", INVOICE_SCHEMA, None)
    plain = _document(sessions, "plain.pdf", "farm", None)
    _write_result(sessions, plain, _text("not an invoice"))
    acme = _document(sessions, "acme.pdf", "farm", "invoice")
    _write_result(
        sessions,
        acme,
        _invoice(
            {
                "vendor": {"name": "ACME", "vat_id": None},
                "total": 1250,
                "paid": True,
                "tags": ["seeds", "urgent"],
                "line_items": [
                    {"description": "Tomato seeds", "quantity": 3},
                    {"description": "Trowel", "quantity": "two"},
                ],
            }
        ),
    )
    empty = _document(sessions, "empty.pdf", "farm", "invoice")
    _write_result(sessions, empty, _invoice({"vendor": None, "total": "n/a", "line_items": None}))
    rows, watermark, response = _export(client, schema="invoice")
    assert response.headers["X-Greenhouse-Tables"] == "main,line_items"
    acme_at, acme_change = _stored(sessions, acme)
    empty_at, empty_change = _stored(sessions, empty)
    assert rows == [
        {
            "document_id": acme,
            **{"collection": "farm", "updated_at": acme_at, "watermark": acme_change},
            **{"kind": "document_pages", "schema": "invoice", "schema_version": 1},
            "paid": True,
            "tags": '["seeds","urgent"]',
            "total": 1250.0,
            "vendor.name": "ACME",
            "vendor.vat_id": None,
        },
        {
            "document_id": empty,
            **{"collection": "farm", "updated_at": empty_at, "watermark": empty_change},
            **{"kind": "document_pages", "schema": "invoice", "schema_version": 1},
            "paid": None,
            "tags": None,
            "total": None,
            "vendor.name": None,
            "vendor.vat_id": None,
        },
    ]
    assert [list(row) for row in rows] == [INVOICE_COLUMNS] * 2
    assert watermark == empty_change
    _same_in_every_format(client, rows, INVOICE_COLUMNS, schema="invoice")
    items, _, _ = _export(client, schema="invoice", table="line_items")
    item_base = {"document_id": acme, "collection": "farm", "updated_at": acme_at}
    assert items == [
        {**item_base, "watermark": acme_change, "index": 0, "description": "Tomato seeds"}
        | {"quantity": 3},
        {**item_base, "watermark": acme_change, "index": 1, "description": "Trowel"}
        | {"quantity": None},
    ]
    _same_in_every_format(client, items, ITEM_COLUMNS, schema="invoice", table="line_items")


def test_an_incremental_export_returns_each_change_once(
    client: TestClient, sessions: SessionFactory
) -> None:
    first = _document(sessions, "a.pdf", "farm", None)
    second = _document(sessions, "b.pdf", "farm", None)
    _write_result(sessions, first, _text("first"))
    _write_result(sessions, second, _text("second"))
    everything, watermark, _ = _export(client)
    assert [row["text"] for row in everything] == ["first", "second"]
    nothing, same, _ = _export(client, since=watermark)
    assert (nothing, same) == ([], watermark)
    _write_result(sessions, first, _text("first, re-processed"))
    third = _document(sessions, "c.pdf", "farm", None)
    _write_result(sessions, third, _text("third"))
    changed, later, _ = _export(client, since=watermark)
    assert [(row["document_id"], row["text"]) for row in changed] == [
        (first, "first, re-processed"),
        (third, "third"),
    ]
    assert later == changed[-1]["watermark"] > watermark
    assert _export(client, since=later)[0] == []
    until_first, bounded, _ = _export(client, since=watermark, until=changed[0]["watermark"])
    assert (until_first, bounded) == (changed[:1], changed[0]["watermark"])


def test_a_result_committed_late_is_in_the_next_export(
    client: TestClient, sessions: SessionFactory, any_engine: Engine
) -> None:
    """A writer that took its change number before an export started but commits after the
    export's watermark was handed out: the change is in the next export, not lost."""
    if any_engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: nothing commits late")
    early = _document(sessions, "early.pdf", "farm", None)
    late = _document(sessions, "late.pdf", "farm", None)
    _write_result(sessions, early, _text("early"))
    _, before, _ = _export(client)
    session = sessions()
    session.begin()
    _write_in(session, late, _text("late"))  # numbered now, committed below
    blocked_writer_done = threading.Event()

    def rewrite_early() -> None:
        _write_result(sessions, early, _text("early, again"))
        blocked_writer_done.set()

    writer = threading.Thread(target=rewrite_early)
    writer.start()
    during, watermark, _ = _export(client, since=before)
    assert (during, watermark) == ([], before)
    assert not blocked_writer_done.wait(0.5), "a second writer must queue behind the first"
    session.commit()
    session.close()
    writer.join(timeout=30)
    after, final, _ = _export(client, since=watermark)
    assert [(row["document_id"], row["text"]) for row in after] == [
        (late, "late"),
        (early, "early, again"),
    ]
    assert final == after[-1]["watermark"]


def test_exports_during_writes_see_every_change_exactly_once(
    client: TestClient, sessions: SessionFactory
) -> None:
    documents = [_document(sessions, f"d{i}.pdf", "farm", None) for i in range(10)]
    writes = 120
    stop = threading.Event()

    def writer() -> None:
        for number in range(writes):
            _write_result(sessions, documents[number % len(documents)], _text(f"v{number}"))
            time.sleep(0.002)
        stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[tuple[str, str, int]] = []
    since = 0
    exports = 0
    while True:
        finished = stop.is_set()
        rows, since, _ = _export(client, since=since)
        exports += 1
        seen += [(row["document_id"], row["text"], row["watermark"]) for row in rows]
        if finished:
            break
    thread.join()
    watermarks = [watermark for _, _, watermark in seen]
    assert watermarks == sorted(set(watermarks)), "a change came twice or out of order"
    assert exports > 2
    last_seen = {document_id: text for document_id, text, _ in seen}
    final = {
        document_id: f"v{max(n for n in range(writes) if n % len(documents) == index)}"
        for index, document_id in enumerate(documents)
    }
    assert last_seen == final


def test_a_key_exports_only_its_collections(any_engine: Engine, tmp_path: Path) -> None:
    app = _app(any_engine, tmp_path, auth="keys")
    sessions = app.state.greenhouse.sessions
    farm = _document(sessions, "a.pdf", "farm", None)
    orchard = _document(sessions, "b.pdf", "orchard", None)
    _write_result(sessions, farm, _text("farm"))
    _write_result(sessions, orchard, _text("orchard"))
    token = new_token(sessions, "farmer", {Scope.READ}, {"farm"})
    with TestClient(app) as client:
        response = client.get("/v1/exports", headers=bearer(token))
        assert response.status_code == 200, response.text
        assert [json.loads(line)["document_id"] for line in response.text.splitlines()] == [farm]
        refused = client.get("/v1/exports?collection=orchard", headers=bearer(token))
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        assert client.get("/v1/exports").status_code == 401


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("format=xml", 422, "invalid_request"),
        ("since=-1", 422, "invalid_request"),
        ("since=abc", 422, "invalid_request"),
        (f"since={2**70}", 422, "invalid_request"),
        ("since=1000000", 400, "invalid_query"),
        ("since=0&until=0&table=nope", 400, "invalid_query"),
        ("since=2&until=1", 400, "invalid_query"),
        ("schema=nothing", 422, "unknown_schema"),
        ("schema=invoice&schema_version=7", 422, "unknown_schema"),
        ("schema_version=1", 400, "invalid_query"),
        ("schema=" + "x" * 65, 422, "invalid_request"),
        ("collection=%00", 422, "invalid_request"),
    ],
)
def test_hostile_parameters_are_refused(
    client: TestClient, sessions: SessionFactory, query: str, status: int, code: str
) -> None:
    with transaction(sessions) as session:
        register_schema(session, "invoice", INVOICE_SCHEMA, None)
    response = client.get(f"/v1/exports?{query}")
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_greenhouse_export_writes_the_tables_the_api_streams(
    client: TestClient,
    sessions: SessionFactory,
    any_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with transaction(sessions) as session:
        register_schema(session, "invoice", INVOICE_SCHEMA, None)
    acme = _document(sessions, "acme.pdf", "farm", "invoice")
    items = [{"description": "Seeds", "quantity": 3}, {"description": "Hoe", "quantity": 1}]
    _write_result(sessions, acme, _invoice({"total": 9.5, "line_items": items}))
    monkeypatch.setenv(
        "GREENHOUSE_DATABASE_URL", any_engine.url.render_as_string(hide_password=False)
    )
    out = tmp_path / "export"
    capsys.readouterr()
    assert main(["export", "--format", "parquet", "--schema", "invoice", "--out", str(out)]) == 0
    _, watermark, _ = _export(client, schema="invoice")
    assert capsys.readouterr().err.splitlines() == [
        "main: 1 rows",
        "line_items: 2 rows",
        f"watermark {watermark} (the next --since)",
    ]
    assert sorted(path.name for path in out.iterdir()) == ["line_items.parquet", "main.parquet"]
    for table in ("main", "line_items"):
        rows, _, _ = _export(client, schema="invoice", table=table)
        assert _parquet_rows((out / f"{table}.parquet").read_bytes()) == rows
    assert main(["export", "--format", "csv", "--since", str(watermark)]) == 0
    printed = capsys.readouterr()
    assert printed.out == ",".join(TEXT_COLUMNS) + "\r\n"
    assert printed.err.splitlines()[-1] == f"watermark {watermark} (the next --since)"
    assert main(["export", "--since", str(watermark + 1)]) == 2
    assert "ahead of the latest change" in capsys.readouterr().err


def test_schema_version_chooses_the_columns(client: TestClient, sessions: SessionFactory) -> None:
    second = {
        **INVOICE_SCHEMA,
        "properties": {**INVOICE_SCHEMA["properties"], "currency": {"type": "string"}},
    }
    with transaction(sessions) as session:
        register_schema(session, "invoice", INVOICE_SCHEMA, None)
        register_schema(session, "invoice", second, None)
    acme = _document(sessions, "acme.pdf", "farm", "invoice")
    _write_result(sessions, acme, _invoice({"currency": "EUR", "total": 3}))
    latest, _, _ = _export(client, schema="invoice")
    first, _, _ = _export(client, schema="invoice", schema_version=1)
    assert list(latest[0]) == [*MAIN_COLUMNS, "currency", *INVOICE_COLUMNS[7:]]
    assert latest[0]["currency"] == "EUR"
    assert list(first[0]) == INVOICE_COLUMNS
    assert first[0]["total"] == latest[0]["total"] == 3.0


def test_a_failure_mid_stream_breaks_the_response_instead_of_ending_it_short(
    postgres_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.export_stream as export_stream

    sessions = make_session_factory(postgres_engine)
    for number in range(3):
        document_id = _document(sessions, f"d{number}.pdf", "farm", None)
        _write_result(sessions, document_id, _text(f"row {number}"))
    pages = {"read": 0}
    real_page = export_stream.export_page  # type: ignore[attr-defined]

    def failing_page(*args: Any, **kwargs: Any) -> Any:
        pages["read"] += 1
        if pages["read"] == 2:
            raise RuntimeError("the database went away")
        return real_page(*args, **kwargs)

    monkeypatch.setattr(export_stream, "TEXT_PAGE_ROWS", 1)
    monkeypatch.setattr(export_stream, "export_page", failing_page)
    with (
        live_api(_app(postgres_engine, tmp_path)) as base_url,
        GreenhouseClient(base_url) as greenhouse,
        greenhouse.export("jsonl") as export,
    ):
        received: list[dict[str, Any]] = []
        with pytest.raises(httpx.HTTPError):
            received.extend(export.rows())
    assert [row["text"] for row in received] == ["row 0"]
