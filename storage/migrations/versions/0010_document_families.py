"""document families: children of containers (e-mail attachments, archive members)

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTERS = ("depth", "children_total", "children_pending", "children_failed")


def upgrade() -> None:
    for name in _COUNTERS:
        op.add_column(
            "documents",
            sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0")),
        )
    op.add_column("documents", sa.Column("root_id", sa.String(length=36), nullable=True))
    op.create_index("ix_documents_root_id", "documents", ["root_id"])
    op.create_table(
        "document_members",
        sa.Column("parent_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.String(length=36), nullable=True),
        sa.Column("member_path", sa.String(length=1000), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("error_category", sa.String(length=50), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["documents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["child_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("parent_id", "position"),
    )
    op.create_index("ix_document_members_child_id", "document_members", ["child_id"])


def downgrade() -> None:
    op.drop_index("ix_document_members_child_id", table_name="document_members")
    op.drop_table("document_members")
    op.drop_index("ix_documents_root_id", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("root_id")
        for name in reversed(_COUNTERS):
            batch.drop_column(name)
