"""GET /v1/extractions and GET /v1/results: filters, field predicates, full-text search and
its ranking, cursor pages under inserts, collection scoping and hostile queries, on both
backends."""

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from schemas.api_keys import Scope
from schemas.settings import Settings
from storage.database import SessionFactory, make_session_factory, transaction
from tests.api.test_documents_api import RecordingDispatcher
from tests.support.keys import bearer, new_token
from tests.support.query_rows import BASE_TIME, add_document, add_extraction, add_result


@dataclass
class Ledger:
    client: TestClient
    sessions: SessionFactory
    names: dict[str, str]
    """Row id -> the name the tests use."""
    documents: dict[str, str]
    reader_of_c: dict[str, str]


def _hour(n: int) -> Any:
    return BASE_TIME + timedelta(hours=n)


@pytest.fixture
def ledger(any_engine: Engine, tmp_path: Path) -> Iterator[Ledger]:
    """Collection c: an invoice document (done, schema invoice) with three schema extractions
    and a result; a report (partial) with three pages about apples and a result. Collection
    other: one page and a result. Extractions one hour apart, in the order listed."""
    sessions = make_session_factory(any_engine)
    names: dict[str, str] = {}
    documents: dict[str, str] = {}
    with transaction(sessions) as session:
        invoice = add_document(session, schema="invoice", created_at=_hour(0))
        report = add_document(session, status="partial", created_at=_hour(1))
        other = add_document(session, collection="other", created_at=_hour(2))
        documents.update(invoice=invoice.id, report=report.id, other=other.id)
        rows: list[tuple[str, Any, str, dict[str, Any]]] = [
            ("i1", invoice, "schema_extraction", _invoice(120, "ACME", "pear invoice")),
            ("i2", invoice, "schema_extraction", _invoice(80, "Globex", "pear invoice")),
            ("i3", invoice, "schema_extraction", _invoice(300, "ACME", "plum invoice")),
            ("r1", report, "page_content", {"text": "apple pear pear pear", "words": 4}),
            ("r2", report, "page_content", {"text": "apple apple apple pear", "words": 4}),
            ("r3", report, "page_content", {"text": "apple apple pear pear", "words": 4}),
            ("o1", other, "page_content", {"text": "apple apple apple apple", "words": 4}),
        ]
        for seq, (name, document, kind, data) in enumerate(rows):
            row_id = add_extraction(
                session, document, data, seq=seq, kind=kind, created_at=_hour(seq)
            )
            names[row_id] = name
        add_result(
            session,
            invoice,
            {"text": "pear invoice plum invoice", "page_count": 3},
            created_at=_hour(10),
            updated_at=_hour(20),
        )
        add_result(
            session,
            report,
            {"text": "apple pear apple apple", "page_count": 3, "failed_pages": [2]},
            created_at=_hour(11),
        )
        add_result(
            session,
            other,
            {"text": "apple", "page_count": 1},
            kind="transcript",
            created_at=_hour(12),
        )
    settings = Settings(
        database_url=any_engine.url.render_as_string(hide_password=False),
        blob_root=str(tmp_path / "blobs"),
        auth="keys",
    )
    with TestClient(create_app(settings, RecordingDispatcher())) as client:
        admin = bearer(new_token(sessions, "admin", set(Scope), None))
        client.headers.update(admin)
        reader = bearer(new_token(sessions, "c-reader", {Scope.READ}, {"c"}))
        yield Ledger(client, sessions, names, documents, reader)


def _invoice(total: int, vendor: str, text: str) -> dict[str, Any]:
    return {
        "schema": "invoice",
        "fields": {"total": total, "vendor": {"name": vendor}},
        "text": text,
    }


def _extractions(ledger: Ledger, **params: Any) -> list[str]:
    response = ledger.client.get("/v1/extractions", params=params)
    assert response.status_code == 200, response.text
    return [ledger.names[item["id"]] for item in response.json()["items"]]


def _results(ledger: Ledger, **params: Any) -> list[str]:
    response = ledger.client.get("/v1/results", params=params)
    assert response.status_code == 200, response.text
    by_id = {value: key for key, value in ledger.documents.items()}
    return [by_id[item["document_id"]] for item in response.json()["items"]]


def test_extraction_filters(ledger: Ledger) -> None:
    assert _extractions(ledger) == ["o1", "r3", "r2", "r1", "i3", "i2", "i1"]
    assert _extractions(ledger, schema="invoice", where="total>100") == ["i3", "i1"]
    assert _extractions(ledger, where=["vendor.name=ACME", "total<=200"]) == ["i1"]
    assert _extractions(ledger, where="vendor.name in (Globex, Initech)") == ["i2"]
    assert _extractions(ledger, where="words>=4", kind="page_content") == ["o1", "r3", "r2", "r1"]
    assert _extractions(ledger, status="partial") == ["r3", "r2", "r1"]
    assert _extractions(ledger, document_id=ledger.documents["other"]) == ["o1"]
    assert _extractions(ledger, collection="c", engine="pymupdf-text", limit=2) == ["r3", "r2"]
    window = {"created_after": _hour(1).isoformat(), "created_before": _hour(4).isoformat()}
    assert _extractions(ledger, **window) == ["r1", "i3"]
    assert _extractions(ledger, where="total exists", q="plum") == ["i3"]


def test_result_filters(ledger: Ledger) -> None:
    assert _results(ledger) == ["other", "report", "invoice"]
    assert _results(ledger, schema="invoice") == ["invoice"]
    assert _results(ledger, status="partial") == ["report"]
    assert _results(ledger, kind="transcript") == ["other"]
    assert _results(ledger, where="page_count>=3") == ["report", "invoice"]
    assert _results(ledger, where="failed_pages contains 2") == ["report"]
    assert _results(ledger, updated_after=_hour(15).isoformat()) == ["invoice"]
    assert _results(ledger, created_before=_hour(11).isoformat()) == ["invoice"]
    body = ledger.client.get("/v1/results", params={"schema": "invoice"}).json()["items"][0]
    assert body["schema"] == "invoice" and body["collection"] == "c"
    assert body["page_count"] is None and body["rank"] is None


def test_search_ranks_by_term_frequency(ledger: Ledger) -> None:
    response = ledger.client.get("/v1/extractions", params={"q": "apple", "collection": "c"})
    items = response.json()["items"]
    assert [ledger.names[item["id"]] for item in items] == ["r2", "r3", "r1"]
    ranks = [item["rank"] for item in items]
    assert ranks == sorted(ranks, reverse=True) and len(set(ranks)) == 3
    assert _extractions(ledger, q="apple", order="newest", collection="c") == ["r3", "r2", "r1"]
    assert _extractions(ledger, q="apple -plum pear", order="newest") == ["r3", "r2", "r1"]
    assert _extractions(ledger, q="plum or globex") == ["i3"]
    assert _results(ledger, q="apple") == ["report", "other"]
    assert _results(ledger, q='"plum invoice"') == ["invoice"]


def test_relevance_pages_follow_the_ranking(ledger: Ledger) -> None:
    seen = _walk(ledger, "/v1/extractions", {"q": "apple", "limit": 1})
    assert [ledger.names[row_id] for row_id in seen] == ["o1", "r2", "r3", "r1"]


def test_pages_have_no_duplicates_or_gaps_under_inserts(ledger: Ledger) -> None:
    before = {ledger.names[row_id] for row_id in _walk(ledger, "/v1/extractions", {"limit": 2})}
    inserted: list[str] = []

    def insert() -> None:
        with transaction(ledger.sessions) as session:
            document = add_document(session, created_at=_hour(30 + len(inserted)))
            inserted.append(
                add_extraction(session, document, {"text": "apple"}, seq=0, created_at=_hour(40))
            )
            add_result(session, document, {"text": "apple"}, created_at=_hour(40 + len(inserted)))

    seen = _walk(ledger, "/v1/extractions", {"limit": 2}, between_pages=insert)
    assert len(seen) == len(set(seen)) == 7
    assert {ledger.names[row_id] for row_id in seen} == before
    present = set(_walk(ledger, "/v1/results", {"limit": 50}, key="document_id"))
    results = _walk(ledger, "/v1/results", {"limit": 1}, between_pages=insert, key="document_id")
    assert len(results) == len(set(results)) == len(present) == 6
    assert set(results) == present


def test_relevance_pages_under_inserts_on_postgres(ledger: Ledger, any_engine: Engine) -> None:
    """ts_rank is a function of the row alone, so a (rank, id) cursor holds while rows are
    added; SQLite's bm25 moves with the table's statistics (there, page with order=newest)."""
    if any_engine.dialect.name != "postgresql":
        pytest.skip("bm25 scores change as rows are added")

    def insert() -> None:
        with transaction(ledger.sessions) as session:
            document = add_document(session)
            add_extraction(session, document, {"text": "apple apple"}, seq=0)

    seen = _walk(ledger, "/v1/extractions", {"q": "apple", "limit": 1}, between_pages=insert)
    kept = [ledger.names[row_id] for row_id in seen if row_id in ledger.names]
    assert kept == ["o1", "r2", "r3", "r1"] and len(seen) == len(set(seen))


def test_collection_scoping_applies_to_every_query(ledger: Ledger) -> None:
    client, headers = ledger.client, ledger.reader_of_c
    items = client.get("/v1/extractions", params={"q": "apple"}, headers=headers).json()["items"]
    assert [ledger.names[item["id"]] for item in items] == ["r2", "r3", "r1"]
    results = client.get("/v1/results", params={"q": "apple"}, headers=headers).json()["items"]
    assert [item["document_id"] for item in results] == [ledger.documents["report"]]
    for path in ("/v1/extractions", "/v1/results"):
        refused = client.get(path, params={"collection": "other"}, headers=headers)
        assert refused.status_code == 403
        other = client.get(path, params={"document_id": ledger.documents["other"]}, headers=headers)
        assert other.json()["items"] == []


@pytest.mark.parametrize("path", ["/v1/extractions", "/v1/results"])
def test_injection_attempts_are_refused_or_harmless(ledger: Ledger, path: str) -> None:
    client = ledger.client
    harmless: list[dict[str, Any]] = [
        {"where": "total>1;DROP TABLE documents"},
        {"where": "total=1 OR 1=1"},
        {"where": 'vendor.name="x\\" OR \\"1\\"=\\"1"'},
        {"q": "') OR 1=1 --"},
        {"q": "apple'; DROP TABLE extractions; --"},
        {"q": '"unclosed phrase'},
    ]
    for params in harmless:
        response = client.get(path, params=params)
        assert response.status_code == 200, (params, response.text)
    assert client.get(path, params=harmless[0]).json()["items"] == []
    refused: list[tuple[dict[str, Any], str]] = [
        ({"where": "a' OR '1'='1"}, "character 1"),
        ({"where": "total>>5"}, "quote it"),
        ({"where": "vendor.name); DROP TABLE documents; --=1"}, "character 11"),
        ({"where": "x in (1,2"}, "closing"),
        ({"where": "a.b.c.d.e.f.g.h.i=1"}, "at most 8 keys"),
        ({"where": ["a=1"] * 21}, "at most 20"),
        ({"q": "-- ;"}, "no word"),
        ({"q": "-draft"}, "must be present"),
        ({"order": "relevance"}, "needs q"),
    ]
    for params, fragment in refused:
        response = client.get(path, params=params)
        assert response.status_code == 400, (params, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_query" and fragment in error["message"], error
    key = "id" if path == "/v1/extractions" else "document_id"
    assert len(_walk(ledger, path, {"limit": 50}, key=key)) == (7 if key == "id" else 3)
    assert len(client.get("/v1/documents").json()["items"]) == 3


def test_cursors_belong_to_their_order(ledger: Ledger) -> None:
    newest = ledger.client.get("/v1/extractions", params={"limit": 1}).json()["next_cursor"]
    ranked = ledger.client.get("/v1/extractions", params={"q": "apple", "limit": 1}).json()
    mixed = ledger.client.get("/v1/extractions", params={"q": "apple", "cursor": newest})
    assert mixed.status_code == 400 and mixed.json()["error"]["code"] == "invalid_cursor"
    back = ledger.client.get("/v1/extractions", params={"cursor": ranked["next_cursor"]})
    assert back.status_code == 400
    naive = ledger.client.get("/v1/results", params={"created_after": "2026-01-01T00:00:00"})
    assert naive.status_code == 422


def _walk(
    ledger: Ledger,
    path: str,
    params: dict[str, Any],
    between_pages: Any = None,
    key: str = "id",
) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        response = ledger.client.get(
            path, params={**params, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item[key] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
        if between_pages is not None:
            between_pages()
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize(
    "raw",
    [
        '{"rank": NaN, "id": "x"}',
        '{"rank": Infinity, "id": "x"}',
        '{"rank": 1' + "0" * 400 + ', "id": "x"}',
        '{"rank": true, "id": "x"}',
        '{"rank": 0.5, "id": 7}',
        '{"rank": 0.5}',
        '{"rank": 0.5, "id": "x", "more": 1}',
    ],
)
def test_hostile_rank_cursors_are_400(ledger: Ledger, raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    response = ledger.client.get("/v1/results", params={"q": "apple", "cursor": cursor})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_cursor"
