"""query indexes and full-text search over extractions and results

Both backends: (created_at, id) on documents, extractions and document_results for the
newest-first keyset listings; (kind | engine, created_at, id) and (schema name, created_at, id)
on extractions.

PostgreSQL: GIN `jsonb_path_ops` on extractions.data and document_results.data (containment:
`where=` equality, `in`, array membership); a stored generated `search_vector` column
(`to_tsvector('simple', data.text)`, first 100,000 characters) with a GIN index on both
tables. Adding a stored generated column rewrites the table once.

SQLite: contentless FTS5 tables `extractions_fts` and `document_results_fts` (rowid = the
row's rowid) filled from the existing rows and kept in sync by triggers. A later migration
that recreates either table on SQLite (batch mode) drops its triggers and renumbers rowids: it
must run `_sqlite_search_up` for that table again.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_TEXT_CHARS = 100_000
SEARCHED = ("extractions", "document_results")
PLAIN_INDEXES = (
    ("ix_documents_created_id", "documents", ("created_at", "id")),
    ("ix_extractions_created_id", "extractions", ("created_at", "id")),
    ("ix_extractions_kind_created", "extractions", ("kind", "created_at", "id")),
    ("ix_extractions_engine_created", "extractions", ("engine", "created_at", "id")),
    ("ix_document_results_created_id", "document_results", ("created_at", "id")),
)
SCHEMA_NAME = {
    "postgresql": "(data ->> 'schema')",
    "sqlite": "json_extract(data, '$.schema')",
}
"""The expression storage/extraction_listing.py filters `schema=` by, written identically."""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table, columns in PLAIN_INDEXES:
        op.create_index(name, table, list(columns))
    op.execute(
        f"CREATE INDEX ix_extractions_schema_created ON extractions "
        f"({SCHEMA_NAME[dialect]}, created_at, id)"
    )
    if dialect == "postgresql":
        for table in SEARCHED:
            _postgres_search_up(table)
    else:
        for table in SEARCHED:
            _sqlite_search_up(table)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in SEARCHED:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_data_gin")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    else:
        for table in SEARCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}")
            op.execute(f"DROP TABLE IF EXISTS {table}_fts")
    op.execute("DROP INDEX IF EXISTS ix_extractions_schema_created")
    for name, table, _ in reversed(PLAIN_INDEXES):
        op.drop_index(name, table_name=table)


def _postgres_search_up(table: str) -> None:
    text = (
        "CASE WHEN jsonb_typeof(data -> 'text') = 'string' "
        f"THEN left(data ->> 'text', {SEARCH_TEXT_CHARS}) ELSE '' END"
    )
    op.execute(
        f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, {text})) STORED"
    )
    op.execute(f"CREATE INDEX ix_{table}_search ON {table} USING gin (search_vector)")
    op.execute(f"CREATE INDEX ix_{table}_data_gin ON {table} USING gin (data jsonb_path_ops)")


def _sqlite_text(row: str) -> str:
    return (
        f"CASE WHEN json_type({row}.data, '$.text') = 'text' "
        f"THEN substr(json_extract({row}.data, '$.text'), 1, {SEARCH_TEXT_CHARS}) ELSE '' END"
    )


def _sqlite_search_up(table: str) -> None:
    fts = f"{table}_fts"
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {fts}_{event}")
    op.execute(f"DROP TABLE IF EXISTS {fts}")
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5("
        "text, content='', tokenize='unicode61 remove_diacritics 0')"
    )
    insert_new = f"INSERT INTO {fts} (rowid, text) VALUES (new.rowid, {_sqlite_text('new')});"
    delete_old = (
        f"INSERT INTO {fts} ({fts}, rowid, text) "
        f"VALUES ('delete', old.rowid, {_sqlite_text('old')});"
    )
    op.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert_new} END")
    op.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete_old} END")
    op.execute(
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF data ON {table} "
        f"BEGIN {delete_old} {insert_new} END"
    )
    op.execute(f"INSERT INTO {fts} (rowid, text) SELECT rowid, {_sqlite_text(table)} FROM {table}")
