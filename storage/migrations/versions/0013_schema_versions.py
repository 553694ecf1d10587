"""schema versions, the version a document asked for, result generations and their history

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "extraction_schema_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("json_schema", JSON_TYPE, nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["name"], ["extraction_schemas.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name", "version"),
    )
    op.add_column(
        "extraction_schemas",
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )
    op.execute(
        "INSERT INTO extraction_schema_versions (name, version, json_schema, description,"
        " created_at) SELECT name, 1, json_schema, description, created_at"
        " FROM extraction_schemas"
    )
    op.add_column("documents", sa.Column("schema_version", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE documents SET schema_version = 1 WHERE schema_version IS NULL AND EXISTS"
        " (SELECT 1 FROM extraction_schemas s WHERE s.name = " + _option_schema() + ")"
    )
    op.add_column(
        "document_results",
        sa.Column("generation", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )
    op.create_table(
        "document_result_history",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("data", JSON_TYPE, nullable=False),
        sa.Column("schema_name", sa.String(length=64), nullable=True),
        sa.Column("schema_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "generation", name="uq_result_history_generation"),
    )


def _option_schema() -> str:
    """The `schema` option of a document row, per backend."""
    if op.get_bind().dialect.name == "postgresql":
        return "documents.options ->> 'schema'"
    return "json_extract(documents.options, '$.schema')"


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): batch mode would recreate
    # document_results on SQLite and lose its full-text triggers (see 0011).
    op.drop_table("document_result_history")
    op.execute("ALTER TABLE document_results DROP COLUMN generation")
    op.execute("ALTER TABLE documents DROP COLUMN schema_version")
    op.execute("ALTER TABLE extraction_schemas DROP COLUMN version")
    op.drop_table("extraction_schema_versions")
