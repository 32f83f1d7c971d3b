"""A covering index for the leaderboard, in place of ix_results_board.

The leaderboard aggregates every ranked training result of the architectures inside a budget
(kind, architecture_id -> protocol, dataset, top1_error, top5_error). With those columns in the
index, SQLite and PostgreSQL (index-only scan) answer it without reading the table rows: with
100,000 results, about 55 -> 25 ms (SQLite) and 58 -> 32 ms (PostgreSQL) on a 2-core machine
(bench/leaderboard.py). The old index is a prefix of the new one, so it is dropped.

Revision ID: 88ef39833e08
Revises: e29afe0beaf0
Create Date: 2026-11-25 21:13:53.979086
"""

from __future__ import annotations

from alembic import op

revision = "88ef39833e08"
down_revision = "e29afe0beaf0"
branch_labels = None
depends_on = None

COLUMNS = ["kind", "architecture_id", "protocol", "dataset", "top1_error", "top5_error"]


def upgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index("ix_results_leaderboard", COLUMNS, unique=False)
        batch_op.drop_index("ix_results_board")


def downgrade() -> None:
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index("ix_results_board", ["kind", "architecture_id", "protocol"], unique=False)
        batch_op.drop_index("ix_results_leaderboard")
