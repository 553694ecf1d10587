"""document_results.change_seq: a commit-ordered change number for incremental exports

Revision ID: 0014
Revises: 0013

A single-row counter `export_sequence` and a trigger that stamps every insert of a result, and
every update of its kind, data or updated_at, with the counter's next value. Taking the value
locks the counter's row until the writer commits, so change numbers follow commit order
(storage/exports.py explains why an export's watermark is then exact). Existing rows are
numbered in (updated_at, id) order. On SQLite the column is added in place (no batch copy, so
0011's full-text triggers and the rowids stay).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSTGRES_FUNCTION = """
CREATE FUNCTION greenhouse_result_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE export_sequence SET value = value + 1 WHERE id = 1 RETURNING value
        INTO NEW.change_seq;
    RETURN NEW;
END
$$
"""
_POSTGRES_TRIGGER = """
CREATE TRIGGER document_results_change_seq
BEFORE INSERT OR UPDATE OF kind, data, updated_at ON document_results
FOR EACH ROW EXECUTE FUNCTION greenhouse_result_change_seq()
"""
_SQLITE_STAMP = """
    UPDATE export_sequence SET value = value + 1 WHERE id = 1;
    UPDATE document_results SET change_seq = (SELECT value FROM export_sequence WHERE id = 1)
        WHERE rowid = new.rowid;
"""
_BACKFILL = """
UPDATE document_results SET change_seq = numbered.n
FROM (
    SELECT id, row_number() OVER (ORDER BY updated_at, id) AS n FROM document_results
) AS numbered
WHERE numbered.id = document_results.id
"""


def upgrade() -> None:
    op.create_table(
        "export_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("document_results", sa.Column("change_seq", sa.BigInteger(), nullable=True))
    op.execute(_BACKFILL)
    op.execute(
        "INSERT INTO export_sequence (id, value) "
        "SELECT 1, COALESCE(MAX(change_seq), 0) FROM document_results"
    )
    op.create_index(
        "ix_document_results_change_seq", "document_results", ["change_seq"], unique=True
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_POSTGRES_FUNCTION)
        op.execute(_POSTGRES_TRIGGER)
        return
    op.execute(
        "CREATE TRIGGER document_results_change_seq_insert AFTER INSERT ON document_results "
        f"BEGIN {_SQLITE_STAMP} END"
    )
    op.execute(
        "CREATE TRIGGER document_results_change_seq_update "
        f"AFTER UPDATE OF kind, data, updated_at ON document_results BEGIN {_SQLITE_STAMP} END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER document_results_change_seq ON document_results")
        op.execute("DROP FUNCTION greenhouse_result_change_seq()")
    else:
        op.execute("DROP TRIGGER document_results_change_seq_insert")
        op.execute("DROP TRIGGER document_results_change_seq_update")
    op.drop_index("ix_document_results_change_seq", table_name="document_results")
    op.drop_column("document_results", "change_seq")
    op.drop_table("export_sequence")
