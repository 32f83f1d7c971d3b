"""Time budgets: a budget's `metric` is "macs" (every existing row) or a time on a device profile,
"latency_ms" (batch 1) or "throughput" (images/s at `batch_size`), with the profile, the reference
value and whether that value was predicted (docs/design.md, "Device profiles"). A time budget
given a number has no reference C, so reference_conv_macs becomes nullable.
Constraint names follow app.db.NAMING_CONVENTION (docs/design.md, "Database").

Revision ID: d3f7b9a1c2e5
Revises: b5e8d2f4c613
Create Date: 2026-12-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d3f7b9a1c2e5"
down_revision = "b5e8d2f4c613"
branch_labels = None
depends_on = None

FK = "fk_budgets_device_profile_id_device_profiles"


def upgrade() -> None:
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metric", sa.String(length=16), server_default="macs", nullable=False))
        batch_op.add_column(sa.Column("device_profile_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reference_value", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("reference_predicted", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("batch_size", sa.Integer(), nullable=True))
        batch_op.alter_column("reference_conv_macs", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_foreign_key(FK, "device_profiles", ["device_profile_id"], ["id"], ondelete="RESTRICT")


def downgrade() -> None:
    # a time budget means nothing without its columns: it goes before they do
    op.execute("DELETE FROM budgets WHERE metric <> 'macs'")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_="foreignkey")
        batch_op.alter_column("reference_conv_macs", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("batch_size")
        batch_op.drop_column("reference_predicted")
        batch_op.drop_column("reference_value")
        batch_op.drop_column("device_profile_id")
        batch_op.drop_column("metric")
