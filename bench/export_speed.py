"""Export speed on PostgreSQL: rows per second of GET /v1/exports' code for JSONL, CSV and
Parquet, in one run, in process (storage pages + flattening + encoding, the bytes counted and
dropped) and over HTTP (a live uvicorn API read with greenhouse.client).

Run on demand from the repository root (not a test):

    .venv/bin/python bench/export_speed.py [--rows 100000] [--out export.json]

A fresh database (`greenhouse_bench_<random>`) on the test server (GREENHOUSE_TEST_POSTGRES_URL
or 127.0.0.1:5432) is migrated to head and filled by bulk SQL: `--rows` finished documents in
4 collections, each with a result holding a ~530-character text, its Markdown and `invoice`
fields (vendor, total, two tags, three line items), numbered by migration 0014's trigger as
they are inserted. Measured, each once in the same run: the text export (`main`: text and
Markdown), the schema export's `main` (flattened fields) and its `line_items` table, in the
three formats; then an incremental export (`since=`) after 1 % of the results are rewritten.
The database is dropped at the end.
"""

import argparse
import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from api.app import create_app
from api.export_stream import encoded_table, plan_export
from greenhouse.client import GreenhouseClient
from schemas.exports.encoders import ExportFormat
from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.extraction_schemas import register_schema
from storage.migrate import upgrade_to_head
from tests.support.live_api import live_api
from tests.support.services import create_database, drop_database, postgres_server

BATCH = 10_000
INVOICE = {
    "type": "object",
    "properties": {
        "vendor": {"type": "object", "properties": {"name": {"type": "string"}}},
        "total": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "line_items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "description": {"type": "string"},
                    "quantity": {"type": "integer"},
                    "price": {"type": "number"},
                },
            },
        },
    },
}
_DOCUMENTS_SQL = """
INSERT INTO documents (id, collection, filename, sha256, size_bytes, dedupe_key, media_type,
  options, status, attempts, page_count, jobs_total, jobs_pending, jobs_succeeded, jobs_failed,
  created_at, updated_at, finished_at)
SELECT md5('d' || d)::uuid::text, 'c' || (d %% 4), 'f' || d || '.pdf',
  md5('s' || d) || md5('t' || d), 1000, md5('k' || d) || md5('l' || d), 'application/pdf',
  '{"schema": "invoice"}'::jsonb, 'done', 1, 1, 1, 0, 1, 0, now(), now(), now()
FROM generate_series(%(first)s::int, %(last)s::int) AS d
"""
_RESULTS_SQL = """
INSERT INTO document_results (id, document_id, kind, data, created_at, updated_at)
SELECT md5('r' || d)::uuid::text, md5('d' || d)::uuid::text, 'document_pages',
  jsonb_build_object(
    'text', t.body, 'markdown', '# Invoice ' || d || E'\\n\\n' || t.body,
    'page_count', 1, 'failed_pages', '[]'::jsonb, 'pages', '[]'::jsonb,
    'schema', jsonb_build_object('name', 'invoice', 'version', 1),
    'fields', jsonb_build_object(
      'vendor', jsonb_build_object('name', 'vendor-' || (d %% 1000)),
      'total', ((d::bigint * 7919) %% 100000) / 10.0,
      'tags', jsonb_build_array('t' || (d %% 7), 't' || (d %% 11)),
      'line_items', jsonb_build_array(
        jsonb_build_object('description', 'seeds ' || d, 'quantity', d %% 9, 'price', 1.5),
        jsonb_build_object('description', 'soil ' || d, 'quantity', 2, 'price', 12.25),
        jsonb_build_object('description', 'trowel', 'quantity', 1, 'price', 7)))),
  now(), now()
FROM (SELECT d, repeat(md5(d::text) || ' ', 16) AS body
      FROM generate_series(%(first)s::int, %(last)s::int) AS d) AS t
"""
_REWRITE_SQL = """
UPDATE document_results SET data = jsonb_set(data, '{text}', to_jsonb('rewritten ' || id)),
  updated_at = now()
WHERE id IN (SELECT id FROM document_results ORDER BY id LIMIT %(count)s)
"""


def _fill(url: str, rows: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        for first in range(0, rows, BATCH):
            last = min(first + BATCH, rows) - 1
            connection.execute(_DOCUMENTS_SQL, {"first": first, "last": last})
            connection.execute(_RESULTS_SQL, {"first": first, "last": last})
            connection.commit()
        connection.execute("ANALYZE")
    return time.perf_counter() - started


def _measure(chunks: Iterator[bytes]) -> tuple[float, int]:
    started = time.perf_counter()
    size = sum(len(chunk) for chunk in chunks)
    return time.perf_counter() - started, size


def _figure(kind: str, rows: int, seconds: float, size: int) -> dict[str, Any]:
    return {
        "export": kind,
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "megabytes": round(size / 1e6, 1),
        "megabytes_per_second": round(size / 1e6 / seconds, 1) if seconds else None,
    }


def run(rows: int) -> dict[str, Any]:
    name = f"greenhouse_bench_{uuid.uuid4().hex[:10]}"
    with postgres_server() as server:
        url = create_database(server, name)
        try:
            engine = make_engine(url)
            upgrade_to_head(engine)
            sessions = make_session_factory(engine)
            with transaction(sessions) as session:
                register_schema(session, "invoice", INVOICE, None)
            fill_seconds = _fill(url, rows)
            exports = [
                ("text main", None, "main", rows),
                ("schema main", "invoice", "main", rows),
                ("schema line_items", "invoice", "line_items", rows * 3),
            ]
            figures: list[dict[str, Any]] = []
            for label, schema, table, count in exports:
                plan = plan_export(
                    sessions,
                    collections=None,
                    collection=None,
                    schema=schema,
                    since=None,
                    until=None,
                )
                chosen = plan.layout.table(table)
                assert chosen is not None
                for export_format in ExportFormat:
                    seconds, size = _measure(encoded_table(sessions, plan, chosen, export_format))
                    figures.append(
                        {"path": "in process", "format": export_format.value}
                        | _figure(label, count, seconds, size)
                    )
                    print(json.dumps(figures[-1]), file=sys.stderr)
            settings = Settings(
                database_url=url, blob_root=str(Path("/tmp") / name), auth="disabled"
            )
            app = create_app(settings)
            with live_api(app) as base_url, GreenhouseClient(base_url, timeout=600) as client:
                for label, schema, table, count in exports[:2]:
                    for export_format in ExportFormat:
                        with client.export(export_format.value, schema=schema, table=table) as ex:
                            seconds, size = _measure(ex.iter_bytes())
                        figures.append(
                            {"path": "HTTP", "format": export_format.value}
                            | _figure(label, count, seconds, size)
                        )
                        print(json.dumps(figures[-1]), file=sys.stderr)
                with client.export("jsonl") as ex:
                    watermark = ex.watermark
                    ex.close()
                changed = max(rows // 100, 1)
                with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as c:
                    c.execute(_REWRITE_SQL, {"count": changed})
                for export_format in ExportFormat:
                    with client.export(export_format.value, since=watermark) as ex:
                        seconds, size = _measure(ex.iter_bytes())
                    figures.append(
                        {"path": "HTTP", "format": export_format.value}
                        | _figure("text main since=", changed, seconds, size)
                    )
                    print(json.dumps(figures[-1]), file=sys.stderr)
                app.state.greenhouse.engine.dispose()
            engine.dispose()
        finally:
            drop_database(server, name)
    return {"rows": rows, "fill_seconds": round(fill_seconds, 1), "figures": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path)
    arguments = parser.parse_args()
    report = run(arguments.rows)
    text = json.dumps(report, indent=2)
    print(text)
    if arguments.out:
        arguments.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
