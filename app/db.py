"""Engine, sessions and the declarative base. The schema itself is made only by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, inspect, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.settings import get_settings


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stored as naive UTC on every backend, returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


JSONType = JSON().with_variant(JSONB(), "postgresql")

# The database could not be reached: down, restarting, a dropped connection, a full pool. The API
# answers these with 503 (app.errors), workers wait them out, the reconciler stops judging
# heartbeats (docs/design.md, "Errors" and "Job lifecycle").
UNREACHABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)


# Every constraint and index gets a predictable name (docs/design.md, "Database"), so a later
# migration can drop or alter it by name on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Connections a process keeps beyond `db_pool_size`: the API admits at most `db_pool_size` requests
# to the database at once (app.deps.get_session), and these are for the reconciler and /healthz.
POOL_RESERVE = 4


def make_engine(url: str, pool_size: int = 10, pool_timeout_s: float = 10.0) -> Engine:
    """An engine whose pool holds `pool_size` (+ POOL_RESERVE) connections, on SQLite too
    (docs/design.md, "Serving"): waiting longer than `pool_timeout_s` for one raises SQLAlchemy's
    TimeoutError, which the API answers with 503."""
    pool = {"pool_size": pool_size, "max_overflow": POOL_RESERVE, "pool_timeout": pool_timeout_s}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        memory = not path or path == ":memory:"
        if not memory:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **({} if memory else pool)
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the worker's writes
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


@cache
def _sessionmaker(url: str, pool_size: int, pool_timeout_s: float) -> sessionmaker[Session]:
    return sessionmaker(make_engine(url, pool_size, pool_timeout_s), expire_on_commit=False)


def session_factory(
    url: str, pool_size: int | None = None, pool_timeout_s: float | None = None
) -> sessionmaker[Session]:
    """One engine and session factory per database URL and pool, shared by the process. The pool
    is the environment's (ISOCOST_DB_POOL_SIZE, ISOCOST_DB_POOL_TIMEOUT_S) unless given: the API
    passes its own settings', which are the same unless a test injects others."""
    environment = get_settings()
    return _sessionmaker(
        url,
        environment.db_pool_size if pool_size is None else pool_size,
        environment.db_pool_timeout_s if pool_timeout_s is None else pool_timeout_s,
    )


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def commit(session: Session, conflict: Exception) -> None:
    """Commit the service's unit of work (docs/design.md, "Decisions": services commit). A unique
    or foreign-key violation that a concurrent writer caused after the service's own check
    surfaces here; it becomes `conflict` (a 409), not a 500."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise conflict from None


def lock_row(session: Session, entity: type[Base], row_id: int) -> None:
    """Hold a write lock on one row until the session's commit or rollback, so that a check and
    the write it guards run one request at a time (docs/design.md, "Quotas"). PostgreSQL locks the
    row (`SELECT ... FOR UPDATE`); SQLite has no row locks, so a no-op write takes its database
    write lock, which also makes this transaction's later reads see every committed write."""
    (key,) = inspect(entity).primary_key
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(key).where(key == row_id).with_for_update())
    else:
        no_op = update(entity).where(key == row_id).values({key: key})
        session.execute(no_op.execution_options(synchronize_session=False))
