"""Shared fixtures: migrated databases (SQLite, and PostgreSQL on 127.0.0.1:5432), an API client
per database, and teams with tokens.

On CI (CI=true) a missing PostgreSQL, Redis or chromium fails the run instead of skipping.
Each test session gets its own PostgreSQL schema, so concurrent sessions do not collide.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from app.db import session_scope
from app.main import create_app
from app.migrate import upgrade
from app.settings import Settings
from app.teams.auth import create_team
from tests.stack import Stack, reachable

CI = os.environ.get("CI", "").lower() == "true"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379"


def require(available: bool, what: str) -> None:
    """Skip without `what` locally; fail on CI, where every real component must be tested."""
    if not available:
        if CI:
            pytest.fail(f"{what} is required on CI but not available")
        pytest.skip(f"{what} not available")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh schema in database `test`, dropped at the end of the session."""
    require(reachable("127.0.0.1", 5432), "PostgreSQL on 127.0.0.1:5432")
    from sqlalchemy import create_engine, text

    schema = f"isocost_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'isocost.db'}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    require(reachable("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    return f"{REDIS_URL}/{uuid.uuid4().int % 16}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database_url(request) -> str:
    """A migrated database of each kind; tests on it isolate themselves by using fresh teams."""
    url = request.getfixturevalue(f"{request.param}_url")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("var")
    return Settings(
        database_url=database_url,
        broker_url=f"sqla+sqlite:///{root / 'broker.db'}",
        data_root=root / "data",
        checkpoint_dir=root / "checkpoints",
        admin_token="admin-secret-for-tests",
    )


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class TeamLogin:
    id: int
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_team(settings: Settings, prefix: str = "team") -> TeamLogin:
    with session_scope(settings.database_url) as session:
        team, token = create_team(session, f"{prefix}-{uuid.uuid4().hex[:8]}")
        return TeamLogin(team.id, team.name, token)


@pytest.fixture
def team(settings: Settings) -> TeamLogin:
    return make_team(settings)


@pytest.fixture
def other_team(settings: Settings) -> TeamLogin:
    return make_team(settings, "rival")


@pytest.fixture
def stacks(tmp_path):
    """Start API/worker stacks with `stacks(settings)`; all are stopped after the test."""
    started: list[Stack] = []

    def start(settings: Settings) -> Stack:
        stack = Stack(settings, tmp_path / f"logs-{len(started)}")
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.stop()
