"""Shared fixtures: migrated databases (SQLite, and PostgreSQL on 127.0.0.1:5432), an API client
per database, teams with tokens, and the browser tests' chromium, server and pages (their helpers
are in tests/browser_support.py).

On CI (CI=true) a missing PostgreSQL, Redis or chromium fails the run instead of skipping.
Each test session gets its own PostgreSQL schema, so concurrent sessions do not collide.
"""

from __future__ import annotations

import os
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
from tests.browser_support import EDITOR_READY, WIDE, Server, chromium_path, seed_results, settings_in, watch
from tests.stack import Stack, launch_chromium, reachable

CI = os.environ.get("CI", "").lower() == "true"
ADMIN_TOKEN = "admin-secret-for-tests"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379"


def require(available: bool, what: str) -> None:
    """Skip without `what` locally; fail on CI, where every real component must be tested."""
    if not available:
        if CI:
            pytest.fail(f"{what} is required on CI but not available")
        pytest.skip(f"{what} not available")


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
        admin_token=ADMIN_TOKEN,
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


# --- the browser tests -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playwright_browser():
    """Debian's chromium through Playwright, one per test module: skipped locally when either is
    missing, a failure on CI (`require`)."""
    executable = chromium_path()
    require(executable is not None, "chromium (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "Playwright for Python")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, executable)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, playwright_browser) -> Iterator[Server]:
    """A real uvicorn on a fresh SQLite database with one team, one per test module (requested
    after the browser, so nothing starts where the browser tests are skipped)."""
    root = tmp_path_factory.mktemp("browser")
    settings = settings_in(root)
    upgrade(settings.database_url)
    name = f"browser-{uuid.uuid4().hex[:6]}"
    with session_scope(settings.database_url) as session:
        _, token = create_team(session, name)
    stack = Stack(settings, root / "logs")
    stack.start_api()
    yield Server(stack.url, token, name, settings)
    stack.stop()


@pytest.fixture
def new_page(playwright_browser):
    """`new_page(viewport=WIDE, timeout_ms=15_000, **context_options)`: a page in a fresh context
    (empty localStorage) and its console (browser_support.Console); closed after the test."""
    contexts = []

    def open_page(viewport: dict = WIDE, timeout_ms: float = 15_000, **options):
        context = playwright_browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        return page, watch(page)

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_page, server: Server):
    """`browser_page(viewport=WIDE, signed_in=False)`: a fresh page on the server's editor, shown
    once its total is in; signed in as the server's team by the #token= link when asked."""

    def open_page(viewport: dict = WIDE, signed_in: bool = False):
        page, console = new_page(viewport)
        page.goto(f"{server.url}/#token={server.token}" if signed_in else f"{server.url}/#/editor")
        page.wait_for_function(EDITOR_READY)
        return page, console

    return open_page


@pytest.fixture(scope="module")
def seeded(server: Server) -> tuple[int, int]:
    """Results as a worker writes them (browser_support.seed_results), once per server:
    (a training job's id, a benchmark job's id)."""
    return seed_results(server)
