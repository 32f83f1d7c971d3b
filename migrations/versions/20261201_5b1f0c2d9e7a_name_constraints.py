"""Name every primary key, unique constraint and foreign key by the metadata's naming convention.

Until now they were unnamed: PostgreSQL called them teams_pkey, teams_name_key, ..._fkey, and
SQLite kept no names at all, so a later migration could not drop one portably. The names follow
app.db.NAMING_CONVENTION (docs/design.md, "Database"). PostgreSQL renames in place; SQLite
rebuilds each table in batch mode (env.py turns foreign keys off while it does).

Revision ID: 5b1f0c2d9e7a
Revises: 88ef39833e08
Create Date: 2026-12-01 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5b1f0c2d9e7a"
down_revision = "88ef39833e08"
branch_labels = None
depends_on = None

# parents before children, so a rebuilt child refers to a parent that is already in place
TABLES = ("teams", "tokens", "architectures", "budgets", "jobs", "metrics", "results")
# the naming convention as it stood when this migration was written (app.db may change later)
CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _wanted(inspector: sa.Inspector, table: str) -> list[tuple[str | None, str]]:
    """(current name, conventional name) for every pk, unique and foreign key of `table`."""
    out = [(inspector.get_pk_constraint(table).get("name"), f"pk_{table}")]
    for unique in inspector.get_unique_constraints(table):
        out.append((unique["name"], f"uq_{table}_{'_'.join(unique['column_names'])}"))
    for fk in inspector.get_foreign_keys(table):
        out.append((fk["name"], f"fk_{table}_{fk['constrained_columns'][0]}_{fk['referred_table']}"))
    return out


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in TABLES:
        renames = [(old, new) for old, new in _wanted(inspector, table) if old != new]
        if not renames:
            continue
        if bind.dialect.name == "postgresql":
            for old, new in renames:
                op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{old}" TO "{new}"')
        else:  # SQLite: unnamed constraints take the convention's names when the table is rebuilt
            with op.batch_alter_table(table, recreate="always", naming_convention=CONVENTION):
                pass


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite has no default names to go back to; named constraints behave the same
    inspector = sa.inspect(bind)
    for table in TABLES:
        for fk in inspector.get_foreign_keys(table):
            op.execute(
                f'ALTER TABLE "{table}" RENAME CONSTRAINT "{fk["name"]}" '
                f'TO "{table}_{fk["constrained_columns"][0]}_fkey"'
            )
        for unique in inspector.get_unique_constraints(table):
            columns = "_".join(unique["column_names"])
            op.execute(
                f'ALTER TABLE "{table}" RENAME CONSTRAINT "{unique["name"]}" TO "{table}_{columns}_key"'
            )
        pk = inspector.get_pk_constraint(table)["name"]
        op.execute(f'ALTER TABLE "{table}" RENAME CONSTRAINT "{pk}" TO "{table}_pkey"')
