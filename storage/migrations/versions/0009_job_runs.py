"""job runs: local-tier pages claimed, run and completed as a run under one message

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("run_id", sa.String(length=36), nullable=True))
    op.create_index("ix_jobs_run_id", "jobs", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_jobs_run_id", table_name="jobs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("run_id")
