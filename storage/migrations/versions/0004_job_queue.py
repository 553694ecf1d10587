"""jobs: the queue a job is sent to (speech jobs go to `asr` whatever their tier)

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("queue", sa.String(length=50), nullable=True))
    op.execute(
        "UPDATE jobs SET queue = CASE "
        "WHEN kind = 'speech_segment' THEN 'asr' "
        "WHEN tier = 'moe' THEN 'vlm' "
        "WHEN tier = 'edge' THEN 'asr' "
        "ELSE 'local' END"
    )
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("queue", existing_type=sa.String(length=50), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("queue")
