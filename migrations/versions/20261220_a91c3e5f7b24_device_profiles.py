"""device_profiles, and calibration jobs: a device profile is a worker's device with its fitted
latency model stored as data (docs/design.md, "Device profiles"); the calibration job that makes
it times the device, not an architecture, so jobs.architecture_id becomes nullable.
Constraint names follow app.db.NAMING_CONVENTION (docs/design.md, "Database").

Revision ID: a91c3e5f7b24
Revises: 7d3e5a1c9b20
Create Date: 2026-12-20 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "a91c3e5f7b24"
down_revision = "7d3e5a1c9b20"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("architecture_id", existing_type=sa.Integer(), nullable=True)
    op.create_table(
        "device_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=200), nullable=False),
        sa.Column("device_type", sa.String(length=16), nullable=False),
        sa.Column("torch_version", sa.String(length=64), nullable=False),
        sa.Column("dtype", sa.String(length=16), nullable=False),
        sa.Column("channels_last", sa.Boolean(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=True),
        sa.Column("model", JSON, nullable=False),
        sa.Column("fit", JSON, nullable=False),
        sa.Column("provenance", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_device_profiles_team_id_teams", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_device_profiles_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_device_profiles"),
        sa.UniqueConstraint("job_id", name="uq_device_profiles_job_id"),
    )
    op.create_index("ix_device_profiles_name", "device_profiles", ["name"], unique=False)
    op.create_index("ix_device_profiles_team_id", "device_profiles", ["team_id"], unique=False)
    op.create_index("ix_device_profiles_device", "device_profiles", ["device"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_device_profiles_device", table_name="device_profiles")
    op.drop_index("ix_device_profiles_team_id", table_name="device_profiles")
    op.drop_index("ix_device_profiles_name", table_name="device_profiles")
    op.drop_table("device_profiles")
    # calibration jobs have no architecture: they go before the column is required again
    op.execute("DELETE FROM jobs WHERE architecture_id IS NULL")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("architecture_id", existing_type=sa.Integer(), nullable=False)
