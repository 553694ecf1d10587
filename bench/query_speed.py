"""Query API speed on PostgreSQL: field predicates, full-text search and deep cursor pages,
with and without migration 0011's indexes, in one run.

Run on demand from the repository root (not a test):

    .venv/bin/python bench/query_speed.py [--rows 1000000] [--samples 30] [--out q.json]

A fresh database (`greenhouse_bench_<random>`) on the test server (GREENHOUSE_TEST_POSTGRES_URL
or 127.0.0.1:5432) is migrated to head and filled by bulk SQL: `--rows` extractions (ten pages
per document, every fifth document a schema extraction into `invoice` with a total, a vendor
out of 1,000 and tags; the others page content with blocks), one job per extraction, and
rows/10 documents with a result each. Texts are 60 words (results 200) drawn from a
5,000-word vocabulary with a skewed law (word i is picked with density ~ i^(-2/3)), so a
"rare" word is in about 0.5 % of pages and a "medium" one in about 5 %. ANALYZE, then each
query runs `--samples` times with varied values through the same storage functions the
routes call (`list_extractions_matching`, `list_results_matching`, 100 rows + 1): p50 and p99
in milliseconds. The 0011 indexes are then dropped, ANALYZE, the same queries again, and the
indexes rebuilt (their build time reported). The database is dropped at the end.
"""

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from sqlalchemy import Engine, text

from schemas.field_query import parse_predicates
from schemas.listing_query import ListingFilters, ListingOrder, PageAfter
from schemas.search_query import parse_search
from storage.database import make_engine, make_session_factory, transaction
from storage.extraction_listing import list_extractions_matching
from storage.migrate import upgrade_to_head
from storage.result_listing import list_results_matching
from tests.support.services import create_database, drop_database, postgres_server

VOCABULARY = 5000
PAGES_PER_DOCUMENT = 10
BATCH_DOCUMENTS = 5000
PAGE_SIZE = 100
DEEP_PAGE = 50

INDEXES = {
    "ix_extractions_created_id": "CREATE INDEX ix_extractions_created_id ON extractions "
    "(created_at, id)",
    "ix_extractions_kind_created": "CREATE INDEX ix_extractions_kind_created ON extractions "
    "(kind, created_at, id)",
    "ix_extractions_engine_created": "CREATE INDEX ix_extractions_engine_created ON "
    "extractions (engine, created_at, id)",
    "ix_extractions_schema_created": "CREATE INDEX ix_extractions_schema_created ON "
    "extractions ((data ->> 'schema'), created_at, id)",
    "ix_extractions_data_gin": "CREATE INDEX ix_extractions_data_gin ON extractions "
    "USING gin (data jsonb_path_ops)",
    "ix_extractions_search": "CREATE INDEX ix_extractions_search ON extractions "
    "USING gin (search_vector)",
    "ix_documents_created_id": "CREATE INDEX ix_documents_created_id ON documents (created_at, id)",
    "ix_document_results_created_id": "CREATE INDEX ix_document_results_created_id ON "
    "document_results (created_at, id)",
    "ix_document_results_data_gin": "CREATE INDEX ix_document_results_data_gin ON "
    "document_results USING gin (data jsonb_path_ops)",
    "ix_document_results_search": "CREATE INDEX ix_document_results_search ON "
    "document_results USING gin (search_vector)",
}
"""Migration 0011's PostgreSQL indexes, as it creates them."""

_WORDS_SQL = f"""
CREATE UNLOGGED TABLE bench_words AS
SELECT i, translate(substr(md5(i::text), 1, 4 + i % 5), '0123456789', 'ghijklmnop') AS w
FROM generate_series(0, {VOCABULARY - 1}) AS i
"""
_TEXTS_SQL = f"""
CREATE TEMP TABLE bench_texts ON COMMIT DROP AS
SELECT picks.n, string_agg(words.w, ' ') AS body
FROM (
  SELECT n, floor({VOCABULARY} * power(random(), 3))::int AS k
  FROM generate_series(%(first)s::int, %(last)s::int) AS n, generate_series(1, %(words)s::int)
) AS picks
JOIN bench_words AS words ON words.i = picks.k
GROUP BY picks.n
"""
_DOCUMENTS_SQL = """
INSERT INTO documents (id, collection, filename, sha256, size_bytes, dedupe_key, media_type,
  options, status, attempts, page_count, jobs_total, jobs_pending, jobs_succeeded, jobs_failed,
  created_at, updated_at, finished_at)
SELECT md5('d' || d)::uuid::text, 'c' || (d %% 10), 'f' || d || '.pdf',
  md5('s' || d) || md5('t' || d), 1000, md5('k' || d) || md5('l' || d), 'application/pdf',
  CASE WHEN d %% 5 = 0 THEN '{"schema": "invoice"}' ELSE '{}' END::jsonb,
  CASE WHEN d %% 20 = 7 THEN 'partial' ELSE 'done' END, 1, 10, 10, 0, 10, 0,
  timestamptz '2025-01-01' + d * interval '10 minutes',
  timestamptz '2025-01-01' + d * interval '10 minutes',
  timestamptz '2025-01-01' + d * interval '10 minutes'
FROM generate_series(%(first)s::int, %(last)s::int) AS d
"""
_JOBS_SQL = """
INSERT INTO jobs (id, document_id, seq, kind, tier, queue, chunk, state, attempts, fell_back,
  created_at, updated_at)
SELECT md5('j' || r)::uuid::text, md5('d' || (r / 10))::uuid::text, r %% 10, 'pdf_page',
  'local', 'local', jsonb_build_object('seq', r %% 10), 'succeeded', 1, false,
  timestamptz '2025-01-01' + r * interval '1 minute',
  timestamptz '2025-01-01' + r * interval '1 minute'
FROM generate_series(%(first)s::int * 10, %(last)s::int * 10 + 9) AS r
"""
_EXTRACTIONS_SQL = """
INSERT INTO extractions (id, job_id, document_id, seq, kind, engine, data, provenance,
  created_at)
SELECT md5('e' || r)::uuid::text, md5('j' || r)::uuid::text, md5('d' || (r / 10))::uuid::text,
  r %% 10,
  CASE WHEN (r / 10) %% 5 = 0 THEN 'schema_extraction' ELSE 'page_content' END,
  CASE WHEN (r / 10) %% 5 = 0 THEN 'vllm:gemma' ELSE 'pymupdf-text' END,
  CASE WHEN (r / 10) %% 5 = 0 THEN jsonb_build_object(
      'schema', 'invoice', 'text', t.body,
      'fields', jsonb_build_object(
        'total', ((r::bigint * 7919) %% 100000) / 10.0,
        'vendor', jsonb_build_object('name', 'vendor-' || (r %% 1000)),
        'tags', jsonb_build_array('t' || (r %% 7), 't' || (r %% 11))))
    ELSE jsonb_build_object(
      'text', t.body, 'markdown', t.body, 'engine', 'pymupdf-text',
      'page', jsonb_build_object('width', 612, 'height', 792),
      'blocks', jsonb_build_array(
        jsonb_build_object('type', 'heading', 'level', 1, 'text', split_part(t.body, ' ', 1)),
        jsonb_build_object('type', 'paragraph', 'text', t.body)))
  END,
  jsonb_build_object('page_number', r %% 10 + 1),
  timestamptz '2025-01-01' + r * interval '1 minute'
FROM generate_series(%(first)s::int * 10, %(last)s::int * 10 + 9) AS r
JOIN bench_texts AS t ON t.n = r
"""
_RESULTS_SQL = """
INSERT INTO document_results (id, document_id, kind, data, created_at, updated_at)
SELECT md5('r' || d)::uuid::text, md5('d' || d)::uuid::text, 'document_pages',
  jsonb_build_object('text', t.body, 'markdown', t.body, 'page_count', 10,
    'failed_pages', CASE WHEN d %% 20 = 7 THEN '[3]'::jsonb ELSE '[]'::jsonb END,
    'pages', '[]'::jsonb),
  timestamptz '2025-01-01' + d * interval '10 minutes' + interval '9 minutes',
  timestamptz '2025-01-01' + d * interval '10 minutes' + interval '9 minutes'
FROM generate_series(%(first)s::int, %(last)s::int) AS d
JOIN bench_texts AS t ON t.n = d
"""


def fill(url: str, rows: int) -> float:
    """Bulk-insert the rows; the seconds it took."""
    documents = max(1, rows // PAGES_PER_DOCUMENT)
    started = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute(_WORDS_SQL)
        for first in range(0, documents, BATCH_DOCUMENTS):
            last = min(documents, first + BATCH_DOCUMENTS) - 1
            bounds = {"first": first, "last": last}
            connection.execute(_DOCUMENTS_SQL, bounds)
            connection.execute(_JOBS_SQL, bounds)
            pages = {"first": first * 10, "last": last * 10 + 9, "words": 60}
            connection.execute(_TEXTS_SQL, pages)
            connection.execute(_EXTRACTIONS_SQL, bounds)
            connection.commit()
            connection.execute(_TEXTS_SQL, {**bounds, "words": 200})
            connection.execute(_RESULTS_SQL, bounds)
            connection.commit()
            print(f"  {bounds['last'] + 1} documents", file=sys.stderr, flush=True)
        connection.execute("DROP TABLE bench_words")
        connection.commit()
    analyze(url)
    return time.perf_counter() - started


def analyze(url: str) -> None:
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as connection:
        connection.execute("VACUUM ANALYZE")


def vocabulary(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT translate(substr(md5(i::text), 1, 4 + i % 5), '0123456789', "
                    f"'ghijklmnop') FROM generate_series(0, {VOCABULARY - 1}) AS i ORDER BY i"
                )
            )
        ]


Query = Callable[[int], int]


def queries(engine: Engine, words: list[str], cursors: list[PageAfter]) -> dict[str, Query]:
    """Each takes a sample number (to vary its values) and returns the rows it listed."""
    sessions = make_session_factory(engine)

    def extractions(filters: ListingFilters, order: ListingOrder, after: Any = None) -> int:
        with transaction(sessions) as session:
            return len(
                list_extractions_matching(
                    session, filters, order=order, after=after, limit=PAGE_SIZE + 1
                )
            )

    def results(filters: ListingFilters, order: ListingOrder) -> int:
        with transaction(sessions) as session:
            return len(
                list_results_matching(
                    session, filters, order=order, after=None, limit=PAGE_SIZE + 1
                )
            )

    def where(*texts: str) -> ListingFilters:
        return ListingFilters(where=tuple(parse_predicates(list(texts))))

    newest, relevance = ListingOrder.NEWEST, ListingOrder.RELEVANCE
    return {
        "where vendor.name=V (any kind)": lambda s: extractions(
            where(f"vendor.name=vendor-{(s * 50 + s % 10) % 1000}"), newest
        ),
        "schema=invoice & where vendor.name=V": lambda s: extractions(
            ListingFilters(
                schema="invoice",
                where=tuple(parse_predicates([f"vendor.name=vendor-{(s * 50 + s % 10) % 1000}"])),
            ),
            newest,
        ),
        "schema=invoice & where total>9990": lambda s: extractions(
            ListingFilters(
                schema="invoice", where=tuple(parse_predicates([f"total>{9990 + s % 5}"]))
            ),
            newest,
        ),
        "where tags contains tN": lambda s: extractions(where(f"tags contains t{s % 7}"), newest),
        "q=<rare word> (relevance)": lambda s: extractions(
            ListingFilters(search=parse_search(words[3000 + s * 17])), relevance
        ),
        "q=<medium word> (relevance)": lambda s: extractions(
            ListingFilters(search=parse_search(words[100 + s])), relevance
        ),
        "q=<rare> <medium> (newest)": lambda s: extractions(
            ListingFilters(search=parse_search(f"{words[3000 + s * 17]} {words[100 + s]}")),
            newest,
        ),
        f"page {DEEP_PAGE} via cursor (newest)": lambda s: extractions(
            ListingFilters(), newest, cursors[s % len(cursors)]
        ),
        f"page {DEEP_PAGE} via cursor, kind=page_content": lambda s: extractions(
            ListingFilters(kind="page_content"), newest, cursors[s % len(cursors)]
        ),
        "results: q=<medium word> (relevance)": lambda s: results(
            ListingFilters(search=parse_search(words[100 + s])), relevance
        ),
        "results: where failed_pages contains 3": lambda s: results(
            where("failed_pages contains 3"), newest
        ),
    }


def deep_cursors(engine: Engine, samples: int) -> list[PageAfter]:
    """Cursors of the pages DEEP_PAGE, DEEP_PAGE + 1, ... of the newest-first listing (the
    sample's page 50 starts at a different row each time)."""
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        rows = list_extractions_matching(
            session,
            ListingFilters(),
            order=ListingOrder.NEWEST,
            after=None,
            limit=PAGE_SIZE * (DEEP_PAGE - 1) + samples,
        )
    starts = [rows[PAGE_SIZE * (DEEP_PAGE - 1) - 1 + i][0] for i in range(samples)]
    return [PageAfter(row.created_at, row.id) for row in starts]


def measure(named: dict[str, Query], samples: int) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    for name, query in named.items():
        query(samples)  # warm-up: plans and caches
        timings, counts = [], []
        for sample in range(samples):
            started = time.perf_counter()
            counts.append(query(sample))
            timings.append((time.perf_counter() - started) * 1000)
        figures[name] = {
            "p50_ms": statistics.median(timings),
            "p99_ms": percentile(timings, 0.99),
            "rows": statistics.median(counts),
        }
        print(f"  {name}: {figures[name]}", file=sys.stderr, flush=True)
    return figures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sizes(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: int(size)
            for name, size in connection.execute(
                text(
                    "SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY("
                    ":names)"
                ),
                {"names": ["extractions", "document_results", *INDEXES]},
            )
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    name = f"greenhouse_bench_{uuid.uuid4().hex[:10]}"
    with postgres_server() as server:
        url = create_database(server, name)
        engine = make_engine(url)
        try:
            upgrade_to_head(engine)
            print(f"filling {args.rows} extractions", file=sys.stderr)
            load_seconds = fill(url, args.rows)
            words = vocabulary(engine)
            cursors = deep_cursors(engine, args.samples)
            named = queries(engine, words, cursors)
            print("with the indexes", file=sys.stderr)
            indexed = measure(named, args.samples)
            stored = sizes(engine)
            with engine.begin() as connection:
                for index in INDEXES:
                    connection.execute(text(f"DROP INDEX {index}"))
            analyze(url)
            print("without them", file=sys.stderr)
            bare = measure(named, args.samples)
            builds: dict[str, float] = {}
            for index, statement in INDEXES.items():
                started = time.perf_counter()
                with engine.begin() as connection:
                    connection.execute(text(statement))
                builds[index] = time.perf_counter() - started
        finally:
            engine.dispose()
            drop_database(server, name)
    report = {
        "rows": args.rows,
        "samples": args.samples,
        "load_seconds": load_seconds,
        "with_indexes": indexed,
        "without_indexes": bare,
        "sizes_bytes": stored,
        "index_build_seconds": builds,
    }
    print_table(report)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


def print_table(report: dict[str, Any]) -> None:
    print(
        f"{report['rows']} extractions, {report['rows'] // PAGES_PER_DOCUMENT} results, "
        f"{report['samples']} samples per query; loaded in {report['load_seconds']:.0f} s"
    )
    print("| query | rows | with indexes p50 / p99 ms | without p50 / p99 ms |")
    print("|---|---:|---:|---:|")
    for name, figures in report["with_indexes"].items():
        bare = report["without_indexes"][name]
        print(
            f"| {name} | {figures['rows']:.0f} | {figures['p50_ms']:.1f} / "
            f"{figures['p99_ms']:.1f} | {bare['p50_ms']:.1f} / {bare['p99_ms']:.1f} |"
        )
    print("| relation | MiB | build s |")
    print("|---|---:|---:|")
    for name, size in sorted(report["sizes_bytes"].items()):
        build = report["index_build_seconds"].get(name)
        shown = f"{build:.1f}" if build is not None else "-"
        print(f"| {name} | {size / 2**20:.1f} | {shown} |")


if __name__ == "__main__":
    main()
