"""The schema comes only from Alembic, on SQLite and PostgreSQL, and matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, select

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.budgets.models import Budget
from app.db import session_factory, session_scope
from app.migrate import upgrade
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


def test_constraints_follow_the_naming_convention(database_url: str) -> None:
    """Every pk, unique constraint and foreign key carries its conventional name (app.db), on
    SQLite (rebuilt tables) and PostgreSQL (renamed in place), and no rows were lost doing it."""
    engine = session_factory(database_url).kw["bind"]
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        name = table.name
        assert inspector.get_pk_constraint(name)["name"] == f"pk_{name}"
        for unique in inspector.get_unique_constraints(name):
            assert unique["name"] == f"uq_{name}_{'_'.join(unique['column_names'])}"
        for fk in inspector.get_foreign_keys(name):
            assert fk["name"] == f"fk_{name}_{fk['constrained_columns'][0]}_{fk['referred_table']}"
    with session_scope(database_url) as session:
        builtin = session.scalars(select(Budget).where(Budget.team_id.is_(None))).all()
    assert {b.reference_preset for b in builtin} >= {"A", "A-s36"}


def test_naming_migration_keeps_rows_of_a_live_sqlite_database(tmp_path) -> None:
    """Rebuilding a parent table on SQLite must not cascade-delete its children."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url, "88ef39833e08")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO teams (id, name, created_at) VALUES (1, 't', '2026-01-01')")
        connection.exec_driver_sql(
            "INSERT INTO architectures (id, team_id, name, spec, notation, conv_macs, spec_hash,"
            " published, created_at, updated_at) VALUES (1, 1, 'a', '{}', 'x', 1, 'h', 0,"
            " '2026-01-01', '2026-01-01')"
        )
    upgrade(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM architectures").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    engine.dispose()
