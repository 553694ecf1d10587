"""Document-level schema results through the fake vLLM server: generated invoices whose pages
the fake reads by OCR (tests/fakes/invoice_reader.py), merged by the schema's rules, with
provenance grounded in the text layer, conflicts, schema versions and reprocessing."""

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from schemas.settings import Settings
from storage.database import make_engine
from storage.migrate import upgrade_to_head
from tests.fakes.fake_vllm import MOE_MODEL, running_fake_vllm
from tests.fakes.invoice_reader import read_invoice
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.invoices import InvoicePage, LineItem, make_invoice_pdf

MERGE = "x-greenhouse-merge"
INVOICE_V1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "invoice_number": {"type": ["string", "null"]},
        "currency": {"type": ["string", "null"]},
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "quantity": {"type": "integer"},
                    "amount": {"type": "number"},
                },
                "required": ["description", "quantity", "amount"],
                "additionalProperties": False,
            },
        },
        "page_subtotal": {"type": ["number", "null"], MERGE: "sum"},
        "total": {"type": ["number", "null"], MERGE: "last"},
    },
    "required": ["invoice_number", "currency", "line_items", "page_subtotal", "total"],
    "additionalProperties": False,
}
INVOICE_V2 = copy.deepcopy(INVOICE_V1)
INVOICE_V2["properties"]["currency"][MERGE] = "first"

GARDEN = [
    InvoicePage("EUR", (LineItem("Seed trays", 4, 38.00), LineItem("Drip hose", 2, 25.50))),
    InvoicePage("EUR", (LineItem("Compost", 3, 19.95),)),
    InvoicePage("EUR", (LineItem("Trellis", 1, 112.40),)),
]
MIXED = [
    InvoicePage("EUR", (LineItem("Pallet", 2, 70.00),)),
    InvoicePage("USD", (LineItem("Sensor", 5, 99.95),)),
]


@pytest.fixture
def settings(sqlite_settings: Settings) -> Settings:
    engine = make_engine(sqlite_settings.database_url)
    upgrade_to_head(engine)
    engine.dispose()
    return sqlite_settings


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _ingest(settings: Settings, url: str, pdf: Path) -> dict[str, Any]:
    moe = settings.model_copy(update={"vllm_url": url, "vllm_model": MOE_MODEL})
    result = ingest_cli(moe, str(pdf), "--schema", "invoice", "--json")
    (report,) = reports_by_name(result.stdout).values()
    assert result.returncode == 0, result.stderr
    assert report["status"] == "done", report
    return report


def _register(api: TestClient, schema: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/schemas", json={"name": "invoice", "json_schema": schema})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _box(pdf: Path, page: int, *texts: str) -> dict[str, Any]:
    """Provenance on `page` at the union box of the first run of words reading `texts`."""
    with pymupdf.open(pdf) as document:
        words = document[page - 1].get_text("words")
    for start in range(len(words)):
        run = words[start : start + len(texts)]
        if tuple(word[4] for word in run) == texts:
            box = [
                round(min(w[0] for w in run), 1),
                round(min(w[1] for w in run), 1),
                round(max(w[2] for w in run), 1),
                round(max(w[3] for w in run), 1),
            ]
            return {"page": page, "bbox": box}
    raise AssertionError(f"{texts} not on page {page}")


def _items(pdf: Path, pages: list[InvoicePage]) -> tuple[list[Any], dict[str, Any]]:
    items: list[Any] = []
    provenance: dict[str, Any] = {}
    for number, page in enumerate(pages, start=1):
        for item in page.items:
            at = f"/line_items/{len(items)}"
            items.append(
                {"description": item.description, "quantity": item.quantity, "amount": item.amount}
            )
            provenance[f"{at}/description"] = [_box(pdf, number, *item.description.split())]
            provenance[f"{at}/quantity"] = [_box(pdf, number, str(item.quantity))]
            provenance[f"{at}/amount"] = [_box(pdf, number, f"{item.amount:.2f}")]
    return items, provenance


def test_invoices_merge_into_one_result_with_provenance_conflicts_and_versions(
    settings: Settings, api: TestClient, tmp_path: Path
) -> None:
    registered = _register(api, INVOICE_V1)
    assert registered["version"] == 1
    garden, mixed = tmp_path / "garden.pdf", tmp_path / "mixed.pdf"
    make_invoice_pdf(garden, "INV-2024-0042", GARDEN)
    make_invoice_pdf(mixed, "INV-2024-0077", MIXED)

    with running_fake_vllm() as fake:
        fake.control.schema_answerer = read_invoice
        garden_id = _ingest(settings, fake.base_url, garden)["id"]
        mixed_id = _ingest(settings, fake.base_url, mixed)["id"]
        sent = [request.body["response_format"] for request in fake.control.requests]
        assert len(sent) == 5
        assert all(MERGE not in str(body) for body in sent)  # the model never sees the rules

        result = api.get(f"/v1/documents/{garden_id}/result").json()
        data = result["data"]
        items, item_provenance = _items(garden, GARDEN)
        assert data["schema"] == {"name": "invoice", "version": 1}
        assert (data["generation"], result["generation"]) == (1, 1)
        assert data["fields"] == {
            "invoice_number": "INV-2024-0042",
            "currency": "EUR",
            "line_items": items,
            "page_subtotal": 195.85,
            "total": 195.85,
        }
        assert data["conflicts"] == []
        assert data["field_provenance"] == {
            "/invoice_number": [_box(garden, page, "INV-2024-0042") for page in (1, 2, 3)],
            "/currency": [_box(garden, page, "EUR") for page in (1, 2, 3)],
            **item_provenance,
            "/page_subtotal": [
                _box(garden, 1, "63.50"),
                # 19.95 and 112.40 are printed twice: grounded on the subtotal's line.
                {"page": 2, "bbox": _subtotal_box(garden, 2, "19.95")},
                {"page": 3, "bbox": _subtotal_box(garden, 3, "112.40")},
            ],
            "/total": [_box(garden, 3, "195.85")],
        }
        assert data["page_count"] == 3 and len(data["pages"]) == 3  # the pages stay
        markdown = api.get(f"/v1/documents/{garden_id}/result", params={"format": "markdown"})
        assert markdown.status_code == 200 and "Seed trays x 4" in markdown.text
        over = api.get("/v1/results", params={"where": "fields.total>180"}).json()["items"]
        assert [row["document_id"] for row in over] == [garden_id]

        first = api.get(f"/v1/documents/{mixed_id}/result").json()["data"]
        assert first["fields"]["currency"] is None
        assert first["conflicts"] == [
            {
                "path": "/currency",
                "rule": "agree",
                "values": [{"value": "EUR", "page": 1}, {"value": "USD", "page": 2}],
            }
        ]
        assert first["fields"]["page_subtotal"] == 169.95
        assert first["fields"]["total"] == 169.95

        # Version 2 takes the first page's currency; reprocessing makes generation 2.
        assert _register(api, INVOICE_V2)["version"] == 2
        assert api.get("/v1/schemas/invoice/versions/1").json()["json_schema"] == INVOICE_V1
        queued = api.post(f"/v1/documents/{mixed_id}/reprocess", json={})
        assert queued.status_code == 202, queued.text
        assert (queued.json()["status"], queued.json()["schema_version"]) == ("processing", 2)
        again = api.post(f"/v1/documents/{mixed_id}/reprocess", json={})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "not_finished"
        assert api.get(f"/v1/documents/{mixed_id}/result").status_code == 409
        _ingest(settings, fake.base_url, mixed)  # the embedded executor runs the queued jobs

    second = api.get(f"/v1/documents/{mixed_id}/result").json()
    assert second["generation"] == 2
    assert second["data"]["schema"] == {"name": "invoice", "version": 2}
    assert second["data"]["fields"]["currency"] == "EUR"
    assert second["data"]["conflicts"] == []
    assert second["data"]["field_provenance"]["/currency"] == [_box(mixed, 1, "EUR")]
    history = api.get(f"/v1/documents/{mixed_id}/results/history").json()["items"]
    assert [(h["generation"], h["schema_name"], h["schema_version"]) for h in history] == [
        (1, "invoice", 1)
    ]
    assert history[0]["data"] == first
    extractions = api.get(f"/v1/documents/{mixed_id}/extractions").json()
    assert {e["data"]["schema_version"] for e in extractions} == {2}
    for version, expected in ((1, [garden_id]), (2, [mixed_id]), (3, [])):
        params = {"schema": "invoice", "schema_version": version}
        rows = api.get("/v1/results", params=params).json()["items"]
        assert [row["document_id"] for row in rows] == expected
        pages = api.get("/v1/extractions", params=params).json()["items"]
        assert {page["document_id"] for page in pages} == set(expected)


def _subtotal_box(pdf: Path, page: int, amount: str) -> list[float]:
    """The box of `amount` on the page's `Page subtotal` line."""
    with pymupdf.open(pdf) as document:
        words = document[page - 1].get_text("words")
    (label,) = [w for w in words if w[4] == "subtotal"]
    (word,) = [w for w in words if w[4] == amount and abs(w[1] - label[1]) < 1]
    return [round(word[0], 1), round(word[1], 1), round(word[2], 1), round(word[3], 1)]


def test_reprocess_refuses_what_it_cannot_do(settings: Settings, api: TestClient) -> None:
    assert api.post("/v1/documents/nope/reprocess", json={}).status_code == 404
    bad = api.post("/v1/documents/nope/reprocess", json={"budget": 100})
    assert bad.status_code == 422
    assert api.get("/v1/documents/nope/results/history").status_code == 404
