"""Exports the way users call them: `greenhouse.client` against a live API (uvicorn on a
socket), a real Celery worker on Redis and PostgreSQL, schema pages answered by the fake vLLM
server. Every format is read back equal to the API's JSON rows and to the stored results, and
an incremental export taken around a re-processing returns the changed document once."""

import csv
import io
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine

from api.app import create_app
from greenhouse.client import GreenhouseClient, GreenhouseError
from schemas.settings import Settings
from tests.fakes.fake_vllm import MOE_MODEL, running_fake_vllm
from tests.support.documents import make_text_pdf
from tests.support.live_api import live_api
from tests.support.workers import celery_worker

WAIT_SECONDS = 180
INVOICE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "vendor": {"type": "object", "properties": {"name": {"type": "string"}}},
        "total": {"type": "number"},
        "line_items": {
            "type": "array",
            "minItems": 2,
            "items": {
                "type": "object",
                "properties": {"description": {"type": "string"}, "quantity": {"type": "integer"}},
            },
        },
    },
}


@pytest.fixture
def settings(postgres_engine: Engine, broker_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        broker_url=broker_url,
        blob_root=str(tmp_path / "blobs"),
        vllm_model=MOE_MODEL,
    )


def _rows(greenhouse: GreenhouseClient, **options: Any) -> tuple[list[dict[str, Any]], int]:
    with greenhouse.export("jsonl", **options) as export:
        return list(export.rows()), export.watermark


def _content(greenhouse: GreenhouseClient, export_format: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    with greenhouse.export(export_format, **options) as export:
        export.save(buffer)
    return buffer.getvalue()


def _assert_same_in_csv_and_parquet(
    greenhouse: GreenhouseClient, rows: list[dict[str, Any]], **options: Any
) -> None:
    text = _content(greenhouse, "csv", **options).decode()
    expected_csv = [
        {
            k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in r.items()
        }
        for r in rows
    ]
    assert list(csv.DictReader(io.StringIO(text))) == expected_csv
    table = pq.read_table(io.BytesIO(_content(greenhouse, "parquet", **options)))
    as_json = [
        {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
        for row in table.to_pylist()
    ]
    assert as_json == rows


def test_exports_through_the_client_around_a_reprocessing(
    settings: Settings, tmp_path: Path
) -> None:
    invoice_pdf, plain_pdf = tmp_path / "invoice.pdf", tmp_path / "plain.pdf"
    make_text_pdf(invoice_pdf, 2)
    make_text_pdf(plain_pdf, 1)
    with running_fake_vllm() as fake:
        settings = settings.model_copy(update={"vllm_url": fake.base_url})
        with (
            live_api(create_app(settings)) as base_url,
            celery_worker(settings, tmp_path, queues="ingest,local,vlm"),
            GreenhouseClient(base_url, timeout=60) as greenhouse,
        ):
            greenhouse.register_schema("invoice", INVOICE, "vendor, total, lines")
            invoice = greenhouse.upload(invoice_pdf, schema="invoice", collection="farm")
            plain = greenhouse.upload(plain_pdf.read_bytes(), filename="plain.pdf")
            assert greenhouse.wait(invoice, WAIT_SECONDS)["status"] == "done"
            assert greenhouse.wait(plain, WAIT_SECONDS)["status"] == "done"
            summaries = list(greenhouse.results(page_size=1))
            assert sorted(s["document_id"] for s in summaries) == sorted([invoice, plain])

            texts, first_watermark = _rows(greenhouse)
            by_id = {row["document_id"]: row for row in texts}
            assert sorted(by_id) == sorted([invoice, plain])
            plain_result = greenhouse.result(plain)
            assert by_id[plain]["text"] == plain_result["data"]["text"]
            assert by_id[plain]["markdown"] == plain_result["data"]["markdown"]
            assert greenhouse.result(plain, "markdown").strip() == plain_result["data"]["markdown"]
            assert by_id[plain]["collection"] == "default"
            assert first_watermark == max(row["watermark"] for row in texts)
            _assert_same_in_csv_and_parquet(greenhouse, texts)

            fields = greenhouse.result(invoice)["data"]["fields"]
            invoices, _ = _rows(greenhouse, schema="invoice")
            assert len(invoices) == 1
            assert invoices[0]["document_id"] == invoice
            assert invoices[0]["collection"] == "farm"
            assert invoices[0]["schema_version"] == 1
            assert invoices[0]["vendor.name"] == fields["vendor"]["name"]
            assert invoices[0]["total"] == float(fields["total"])
            _assert_same_in_csv_and_parquet(greenhouse, invoices, schema="invoice")
            items, _ = _rows(greenhouse, schema="invoice", table="line_items")
            assert len(fields["line_items"]) >= 2
            assert [(i["index"], i["description"], i["quantity"]) for i in items] == [
                (n, item["description"], item["quantity"])
                for n, item in enumerate(fields["line_items"])
            ]
            _assert_same_in_csv_and_parquet(greenhouse, items, schema="invoice", table="line_items")

            greenhouse.register_schema("invoice", INVOICE, "vendor, total, lines (v2)")
            greenhouse.reprocess(invoice, schema_version=2)
            assert greenhouse.wait(invoice, WAIT_SECONDS)["status"] == "done"
            changed, second_watermark = _rows(greenhouse, since=first_watermark)
            assert [row["document_id"] for row in changed] == [invoice]
            assert second_watermark == changed[0]["watermark"] > first_watermark
            changed_invoices, _ = _rows(greenhouse, schema="invoice", since=first_watermark)
            assert [(r["document_id"], r["schema_version"]) for r in changed_invoices] == [
                (invoice, 2)
            ]
            assert _rows(greenhouse, since=second_watermark) == ([], second_watermark)

            with pytest.raises(GreenhouseError) as refused:
                greenhouse.export("jsonl", schema="nothing")
            assert (refused.value.status, refused.value.code) == (422, "unknown_schema")
            assert refused.value.request_id
            with pytest.raises(GreenhouseError) as ahead:
                greenhouse.export("csv", since=second_watermark + 1)
            assert (ahead.value.status, ahead.value.code) == (400, "invalid_query")
