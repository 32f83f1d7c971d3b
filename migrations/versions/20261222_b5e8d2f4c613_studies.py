"""Studies: a team's controlled experiment as one object (docs/design.md, "Studies"): its models
(each a saved architecture, in order) and the one training job of each (model, rate, seed).
Constraint names follow app.db.NAMING_CONVENTION (docs/design.md, "Database").

Revision ID: b5e8d2f4c613
Revises: a91c3e5f7b24
Create Date: 2026-12-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "b5e8d2f4c613"
down_revision = "a91c3e5f7b24"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", JSON, nullable=False),
        sa.Column("protocol", JSON, nullable=False),
        sa.Column("seeds", JSON, nullable=False),
        sa.Column("lr_sweep", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_studies_team_id_teams", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_studies"),
    )
    op.create_index("ix_studies_team_id", "studies", ["team_id"], unique=False)
    op.create_table(
        "study_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("architecture_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["architecture_id"], ["architectures.id"], name="fk_study_models_architecture_id_architectures",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name="fk_study_models_study_id_studies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_study_models"),
        sa.UniqueConstraint("study_id", "name", name="uq_study_models_study_id_name"),
    )  # fmt: skip
    op.create_index("ix_study_models_study_id", "study_models", ["study_id"], unique=False)
    op.create_index("ix_study_models_architecture_id", "study_models", ["architecture_id"], unique=False)
    op.create_table(
        "study_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("lr", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_study_runs_job_id_jobs", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["study_models.id"], name="fk_study_runs_model_id_study_models", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name="fk_study_runs_study_id_studies", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_study_runs"),
        sa.UniqueConstraint("job_id", name="uq_study_runs_job_id"),
    )
    op.create_index("ix_study_runs_study_id", "study_runs", ["study_id"], unique=False)
    op.create_index("ix_study_runs_model_id", "study_runs", ["model_id"], unique=False)


def downgrade() -> None:
    op.drop_table("study_runs")
    op.drop_table("study_models")
    op.drop_table("studies")
