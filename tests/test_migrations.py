"""The schema comes only from Alembic, on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.budgets.models import Budget
from app.db import session_factory, session_scope
from app.models import Base


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = session_factory(database_url).kw["bind"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_builtin_budgets_hold_model_a_cost(database_url: str) -> None:
    with session_scope(database_url) as session:
        budgets = {
            b.reference_preset: b for b in session.scalars(select(Budget).where(Budget.team_id.is_(None)))
        }
    for name in ("A", "A-s36"):
        assert budgets[name].reference_conv_macs == analyse(presets()[name].spec).conv_macs
        assert budgets[name].input_side == presets()[name].spec.input.height
