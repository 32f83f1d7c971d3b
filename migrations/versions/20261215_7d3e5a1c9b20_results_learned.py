"""results.learned: False for a training run that did not learn (its loss still at ln(classes)
after the warm-up, or top-1 error at chance); such results are kept off the leaderboard
(docs/design.md, "Training protocol"). Existing rows count as learned.

The leaderboard's covering index gains the column, so its aggregate still reads no table rows.

Revision ID: 7d3e5a1c9b20
Revises: c4d2a7e91b3f
Create Date: 2026-12-15 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7d3e5a1c9b20"
down_revision = "c4d2a7e91b3f"
branch_labels = None
depends_on = None

COLUMNS = ["kind", "architecture_id", "protocol", "dataset", "top1_error", "top5_error"]


def upgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("learned", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.drop_index("ix_results_leaderboard")
        batch_op.create_index("ix_results_leaderboard", [*COLUMNS, "learned"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index("ix_results_leaderboard")
        batch_op.create_index("ix_results_leaderboard", COLUMNS, unique=False)
        batch_op.drop_column("learned")
