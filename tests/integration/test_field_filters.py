"""Field predicates and full-text search: one table of queries, exact matching rows, run on
PostgreSQL and SQLite (the same answers on both)."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from schemas.field_query import parse_predicates
from schemas.listing_query import ListingFilters, ListingOrder, PageAfter, TimeRange
from schemas.search_query import parse_search
from storage.database import make_session_factory, transaction
from storage.extraction_listing import list_extractions_matching
from storage.models import Document
from storage.result_listing import ResultRow, list_results_matching
from storage.results import save_document_result
from tests.support.query_rows import BASE_TIME, add_document, add_extraction, add_result

INVOICE = "schema_extraction"
ROWS: dict[str, tuple[str, dict[str, object]]] = {
    "e1": (
        INVOICE,
        {
            "schema": "invoice",
            "text": "Invoice from ACME for consulting services",
            "fields": {
                "total": 150,
                "vendor": {"name": "ACME", "country": "DE"},
                "tags": ["urgent", "paid"],
                "paid": True,
                "status": "paid",
                "note": None,
                "ref": "AB12",
            },
        },
    ),
    "e2": (
        INVOICE,
        {
            "schema": "invoice",
            "text": "Invoice Globex hardware hardware hardware",
            "fields": {
                "total": 99.5,
                "vendor": {"name": "Globex"},
                "tags": ["open"],
                "paid": False,
                "status": "open",
                "ref": "007",
            },
        },
    ),
    "e3": (
        INVOICE,
        {
            "schema": "invoice",
            "text": "",
            "fields": {
                "total": "150",
                "vendor": {"name": "acme"},
                "tags": "urgent",
                "status": "void",
            },
        },
    ),
    "e4": (
        INVOICE,
        {
            "schema": "invoice",
            "text": "",
            "fields": {
                "total": 100,
                "vendor": [{"name": "ACME"}],
                "tags": [1, 2, "3"],
                "status": "Ärger",
            },
        },
    ),
    "e5": (INVOICE, {"schema": "receipt", "text": "", "fields": None}),
    "p1": (
        "page_content",
        {
            "text": "hello world café",
            "total": 200,
            "engine": "pymupdf-text",
            "page": {"width": 612},
        },
    ),
    "p2": (
        "page_content",
        {"text": "e-mail the invoice draft", "fields": {"total": 300}, "engine": "rapidocr"},
    ),
}

PREDICATES: list[tuple[list[str], set[str]]] = [
    (["total>100"], {"e1", "p1"}),
    (["total>=100"], {"e1", "e4", "p1"}),
    (["total<100"], {"e2"}),
    (["total<=99.5"], {"e2"}),
    (["total=100"], {"e4"}),
    (["total=100.0"], {"e4"}),
    (["total!=100"], {"e1", "e2", "p1"}),
    (['total="150"'], {"e3"}),
    (['total>"100"'], {"e3"}),
    (["vendor.name=ACME"], {"e1"}),
    (["vendor.name!=ACME"], {"e2", "e3"}),
    (["vendor.name>B"], {"e2", "e3"}),
    (["vendor.name exists"], {"e1", "e2", "e3"}),
    (["vendor.country exists"], {"e1"}),
    (["note exists"], {"e1"}),
    (["note=null"], {"e1"}),
    (["ref!=null"], {"e1", "e2"}),
    (["paid=true"], {"e1"}),
    (["paid!=true"], {"e2"}),
    (["paid=false"], {"e2"}),
    (["tags contains urgent"], {"e1", "e3"}),
    (["tags~3"], set()),
    (['tags~"3"'], {"e4"}),
    (["tags contains 2"], {"e4"}),
    (["ref contains 12"], {"e1"}),
    (["ref contains 0"], {"e2"}),
    (["status in (paid,open)"], {"e1", "e2"}),
    (["status in (paid, 150)"], {"e1"}),
    (["status=Ärger"], {"e4"}),
    (["status>Z"], {"e1", "e2", "e3", "e4"}),
    (["engine=rapidocr"], {"p2"}),
    (["fields.total=300"], {"p2"}),
    (["page.width>=612"], {"p1"}),
    (["vendor.name in (ACME, Globex)"], {"e1", "e2"}),
    (["nothing.at.all exists"], set()),
    (["total>=100", "tags contains urgent"], {"e1"}),
    (["total>1;DROP TABLE documents"], set()),
]

SEARCHES: list[tuple[str, set[str]]] = [
    ("invoice", {"e1", "e2", "p2"}),
    ("INVOICE", {"e1", "e2", "p2"}),
    ("hardware", {"e2"}),
    ("invoice -draft", {"e1", "e2"}),
    ("acme or hello", {"e1", "p1"}),
    ('"from acme"', {"e1"}),
    ('"acme from"', set()),
    ("café", {"p1"}),
    ("cafe", set()),
    ("e-mail", {"p2"}),
    ("') OR 1=1 --", set()),
]


@pytest.fixture
def ledger(any_engine: Engine) -> tuple[Engine, dict[str, str]]:
    sessions = make_session_factory(any_engine)
    ids: dict[str, str] = {}
    with transaction(sessions) as session:
        document = add_document(session)
        for seq, (name, (kind, data)) in enumerate(ROWS.items()):
            ids[add_extraction(session, document, data, seq=seq, kind=kind)] = name
    return any_engine, ids


def _names(engine: Engine, ids: dict[str, str], filters: ListingFilters) -> set[str]:
    with transaction(make_session_factory(engine)) as session:
        rows = list_extractions_matching(
            session, filters, order=ListingOrder.NEWEST, after=None, limit=100
        )
    return {ids[row.id] for row, _ in rows}


@pytest.mark.parametrize(
    ("where", "expected"), PREDICATES, ids=[" & ".join(p[0]) for p in PREDICATES]
)
def test_predicates_match_the_same_rows_on_both_backends(
    ledger: tuple[Engine, dict[str, str]], where: list[str], expected: set[str]
) -> None:
    engine, ids = ledger
    filters = ListingFilters(where=tuple(parse_predicates(where)))
    assert _names(engine, ids, filters) == expected


def test_the_predicate_root_follows_the_kind_and_schema(
    ledger: tuple[Engine, dict[str, str]],
) -> None:
    engine, ids = ledger
    where = tuple(parse_predicates(["total>100"]))
    assert _names(engine, ids, ListingFilters(where=where, kind="page_content")) == {"p1"}
    assert _names(engine, ids, ListingFilters(where=where, schema="invoice")) == {"e1"}
    assert _names(engine, ids, ListingFilters(where=where, kind=INVOICE)) == {"e1"}
    assert _names(engine, ids, ListingFilters(schema="receipt")) == {"e5"}


@pytest.mark.parametrize(("q", "expected"), SEARCHES, ids=[s[0] for s in SEARCHES])
def test_search_finds_the_same_rows_on_both_backends(
    ledger: tuple[Engine, dict[str, str]], q: str, expected: set[str]
) -> None:
    engine, ids = ledger
    assert _names(engine, ids, ListingFilters(search=parse_search(q))) == expected


def test_search_follows_deletes_and_updates(any_engine: Engine) -> None:
    sessions = make_session_factory(any_engine)
    with transaction(sessions) as session:
        document = add_document(session)
        add_result(session, document, {"text": "quarterly report"})
    search = ListingFilters(search=parse_search("quarterly"))
    with transaction(sessions) as session:
        assert [r.document_id for r in _results(session, search)] == [document.id]
        save_document_result(session, document.id, "document_pages", {"text": "annual report"})
    with transaction(sessions) as session:
        assert _results(session, search) == []
        annual = ListingFilters(search=parse_search("annual"))
        assert [r.document_id for r in _results(session, annual)] == [document.id]
        session.delete(session.get(Document, document.id))
    with transaction(sessions) as session:
        assert _results(session, ListingFilters(search=parse_search("annual"))) == []
    if any_engine.dialect.name == "sqlite":  # the cascade's delete trigger emptied the index
        with any_engine.connect() as connection:
            left = (
                "SELECT count(*) FROM document_results_fts "
                "WHERE document_results_fts MATCH 'report'"
            )
            assert connection.execute(text(left)).scalar() == 0


def _results(session: Session, filters: ListingFilters) -> list[ResultRow]:
    return list_results_matching(session, filters, order=ListingOrder.NEWEST, after=None, limit=10)


def test_time_ranges_and_keyset_pages(ledger: tuple[Engine, dict[str, str]]) -> None:
    engine, ids = ledger
    window = TimeRange(
        after=BASE_TIME + timedelta(seconds=1), before=BASE_TIME + timedelta(seconds=5)
    )
    assert _names(engine, ids, ListingFilters(created=window)) == {"e3", "e4", "e5"}
    with transaction(make_session_factory(engine)) as session:
        first = list_extractions_matching(
            session, ListingFilters(), order=ListingOrder.NEWEST, after=None, limit=3
        )
        last = first[-1][0]
        rest = list_extractions_matching(
            session,
            ListingFilters(),
            order=ListingOrder.NEWEST,
            after=PageAfter(last.created_at, last.id),
            limit=10,
        )
    assert [ids[r.id] for r, _ in first] == ["p2", "p1", "e5"]
    assert [ids[r.id] for r, _ in rest] == ["e4", "e3", "e2", "e1"]


def test_a_text_past_the_indexed_length_is_stored_and_searched(any_engine: Engine) -> None:
    """150,000 distinct four-byte letters between spaces would overflow a tsvector (1 MiB):
    only the first SEARCH_TEXT_CHARS are indexed, and the row is written."""
    hostile = " ".join(chr(0x20000 + i) for i in range(75_000)) + " tailword"
    sessions = make_session_factory(any_engine)
    with transaction(sessions) as session:
        document = add_document(session)
        row_id = add_extraction(session, document, {"text": "headword " + hostile}, seq=0)
    with transaction(sessions) as session:
        found = list_extractions_matching(
            session,
            ListingFilters(search=parse_search("headword")),
            order=ListingOrder.NEWEST,
            after=None,
            limit=5,
        )
        missed = list_extractions_matching(
            session,
            ListingFilters(search=parse_search("tailword")),
            order=ListingOrder.NEWEST,
            after=None,
            limit=5,
        )
    assert [row.id for row, _ in found] == [row_id] and missed == []


def _index_names(engine: Engine, table: str) -> set[str]:
    listing = (
        "SELECT indexname FROM pg_indexes WHERE tablename = :table"
        if engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
    )
    with engine.connect() as connection:
        return set(connection.execute(text(listing), {"table": table}).scalars())


def test_the_query_indexes_exist(any_engine: Engine) -> None:
    names = _index_names(any_engine, "extractions")
    assert {
        "ix_extractions_created_id",
        "ix_extractions_kind_created",
        "ix_extractions_engine_created",
        "ix_extractions_schema_created",
    } <= names
    results = _index_names(any_engine, "document_results")
    assert "ix_document_results_created_id" in results
    assert "ix_documents_created_id" in _index_names(any_engine, "documents")
    if any_engine.dialect.name == "postgresql":
        assert {"ix_extractions_data_gin", "ix_extractions_search"} <= names
        assert {"ix_document_results_data_gin", "ix_document_results_search"} <= results
    else:
        tables = set(inspect(any_engine).get_table_names())
        assert {"extractions_fts", "document_results_fts"} <= tables
