"""Per-team quotas and the last-token rule hold when requests arrive at once (docs/design.md,
"Quotas"): simultaneous requests against a real uvicorn server, on SQLite and PostgreSQL. Also the
budget quota's neighbour: a budget made from a private architecture does not reveal it."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import session_scope
from app.jobs.models import Job
from app.main import create_app
from app.settings import Settings
from app.teams.models import Token
from tests.conftest import TeamLogin, make_team
from tests.jobs_support import add_architecture
from tests.stack import Stack

QUOTA = 5  # budgets, working tokens and architectures per team on the test server
BENCHMARK = {"architecture_id": 0, "kind": "benchmark", "params": {"repeats": 3, "per_layer": False}}


def quota_settings(settings: Settings) -> Settings:
    return Settings(
        **{
            **settings.model_dump(),
            "broker_url": "memory://",  # messages go nowhere: only the rows are counted here
            "max_budgets_per_team": QUOTA,
            "max_tokens_per_team": QUOTA,
            "max_architectures_per_team": QUOTA,
        }
    )


@pytest.fixture(scope="module")
def server(settings: Settings, tmp_path_factory) -> Iterator[Stack]:
    stack = Stack(quota_settings(settings), tmp_path_factory.mktemp("logs"))
    try:
        stack.start_api(timeout_s=120)
        yield stack
    finally:
        stack.stop()


def fire(stack: Stack, count: int, send: Callable[[httpx.Client, int], httpx.Response]) -> list[int]:
    """`count` requests released together, one connection each (opened beforehand), as statuses."""
    barrier = threading.Barrier(count)

    def one(i: int) -> int:
        with httpx.Client(base_url=f"{stack.url}/api/v1", timeout=120) as client:
            client.get("/vocabulary").raise_for_status()  # connect now, so only the request races
            barrier.wait()
            return send(client, i).status_code

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _submit_50(server: Stack, settings: Settings) -> tuple[Counter[int], int]:
    """50 single-job submissions of a new team at once: their statuses, and the jobs stored."""
    team = make_team(settings)
    body = {**BENCHMARK, "architecture_id": add_architecture(settings.database_url, team.id)}
    statuses = fire(server, 50, lambda client, _: client.post("/jobs", json=body, headers=team.headers))
    with session_scope(settings.database_url) as session:
        return Counter(statuses), session.scalar(select(func.count()).where(Job.team_id == team.id)) or 0


def test_queued_job_quota_holds_under_concurrency(server: Stack, settings: Settings) -> None:
    limit = settings.max_queued_jobs_per_team
    # three rounds: a race lost once in a while is still caught
    assert [_submit_50(server, settings) for _ in range(3)] == [({201: limit, 429: 50 - limit}, limit)] * 3


def _architecture(client: httpx.Client, team: TeamLogin, i: int) -> httpx.Response:
    return client.post("/architectures", json={"name": f"a{i}", "preset": "A-s36"}, headers=team.headers)


def _budget(client: httpx.Client, team: TeamLogin, i: int) -> httpx.Response:
    body = {"name": f"b-{uuid.uuid4().hex[:10]}", "reference_preset": "A-s36"}
    return client.post("/budgets", json=body, headers=team.headers)


def _token(client: httpx.Client, team: TeamLogin, i: int) -> httpx.Response:
    return client.post("/tokens", json={"label": f"t{i}"}, headers=team.headers)


@pytest.mark.parametrize(
    ("create", "existing"),
    [(_architecture, 0), (_budget, 0), (_token, 1)],
    ids=["architectures", "budgets", "tokens"],
)
def test_quotas_hold_under_concurrency(server: Stack, settings: Settings, create, existing: int) -> None:
    """`existing`: what a new team already has (its first token)."""
    team = make_team(settings)
    statuses = fire(server, 20, lambda client, i: create(client, team, i))
    assert Counter(statuses) == {201: QUOTA - existing, 429: 20 - QUOTA + existing}


def _revoke_both(server: Stack, settings: Settings) -> tuple[list[int], int]:
    """A new team with two tokens revokes both at once: the statuses, and its working tokens after."""
    team = make_team(settings)
    with httpx.Client(base_url=f"{server.url}/api/v1") as client:
        second = client.post("/tokens", json={"label": "second"}, headers=team.headers).json()
        first = next(t for t in client.get("/tokens", headers=team.headers).json() if t["id"] != second["id"])
    # each request signs in with the token it revokes, so both always get past authentication
    ids = [first["id"], second["id"]]
    signs_in = [team.headers, {"Authorization": f"Bearer {second['token']}"}]
    statuses = fire(server, 2, lambda client, i: client.delete(f"/tokens/{ids[i]}", headers=signs_in[i]))
    with session_scope(settings.database_url) as session:
        working = session.scalar(
            select(func.count()).where(Token.team_id == team.id, Token.revoked_at.is_(None))
        )
    return sorted(statuses), working


def test_revoking_the_last_two_tokens_at_once_never_locks_a_team_out(
    server: Stack, settings: Settings
) -> None:
    outcomes = [_revoke_both(server, settings) for _ in range(10)]
    locked_out = sum(working == 0 for _, working in outcomes)
    assert outcomes == [([204, 409], 1)] * 10, f"{locked_out} of 10 teams locked out: {outcomes}"


@pytest.fixture(scope="module")
def small(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(quota_settings(settings)), raise_server_exceptions=False) as test_client:
        yield test_client


def test_quota_answers_429_and_frees_up_on_delete(small: TestClient, settings: Settings) -> None:
    team = make_team(settings)
    made = [small.post("/api/v1/budgets", json={"name": f"q-{uuid.uuid4().hex[:8]}", "reference_preset": "A"},
                       headers=team.headers) for _ in range(QUOTA)]  # fmt: skip
    assert [r.status_code for r in made] == [201] * QUOTA
    over = small.post(
        "/api/v1/budgets", json={"name": "one-too-many", "reference_preset": "A"}, headers=team.headers
    )
    assert over.status_code == 429
    assert over.json()["detail"] == f"your team has {QUOTA} budgets; the limit is {QUOTA}"
    # another team is not affected, and deleting one makes room
    assert _budget_status(small, make_team(settings)) == 201
    assert small.delete(f"/api/v1/budgets/{made[0].json()['id']}", headers=team.headers).status_code == 204
    assert _budget_status(small, team) == 201


def _budget_status(client: TestClient, team: TeamLogin) -> int:
    body = {"name": f"q-{uuid.uuid4().hex[:8]}", "reference_preset": "A"}
    return client.post("/api/v1/budgets", json=body, headers=team.headers).status_code


def test_revoked_tokens_do_not_count(small: TestClient, settings: Settings) -> None:
    team = make_team(settings)
    made = [small.post("/api/v1/tokens", json={"label": "x"}, headers=team.headers) for _ in range(QUOTA)]
    assert [r.status_code for r in made] == [201] * (QUOTA - 1) + [429]
    assert small.delete(f"/api/v1/tokens/{made[0].json()['id']}", headers=team.headers).status_code == 204
    assert small.post("/api/v1/tokens", json={"label": "x"}, headers=team.headers).status_code == 201


def test_architecture_quota(small: TestClient, settings: Settings) -> None:
    team = make_team(settings)
    statuses = [
        small.post("/api/v1/architectures", json={"name": f"a{i}", "preset": "A-s36"}, headers=team.headers)
        for i in range(QUOTA + 1)
    ]
    assert [r.status_code for r in statuses] == [201] * QUOTA + [429]
    assert statuses[-1].json()["detail"] == f"your team has {QUOTA} architectures; the limit is {QUOTA}"


def test_a_budget_does_not_reveal_a_private_reference(client: TestClient, settings: Settings) -> None:
    owner, rival = make_team(settings), make_team(settings)
    private = client.post(
        "/api/v1/architectures", json={"name": "secret", "preset": "C-s36"}, headers=owner.headers
    ).json()
    body = {"name": f"from-private-{uuid.uuid4().hex[:8]}", "reference_architecture_id": private["id"]}
    budget = client.post("/api/v1/budgets", json=body, headers=owner.headers).json()
    assert budget["reference_architecture_id"] == private["id"]

    def seen_by(team: TeamLogin) -> tuple[list[dict], httpx.Response]:
        listed = [
            b for b in client.get("/api/v1/budgets", headers=team.headers).json() if b["id"] == budget["id"]
        ]
        return listed, client.get(
            "/api/v1/leaderboard", params={"budget_id": budget["id"]}, headers=team.headers
        )

    # neither its id nor its cost: the budget stays with the team while its reference is private
    listed, board = seen_by(rival)
    assert listed == [] and board.status_code == 404 and board.json()["field"] == "budget_id"
    assert client.delete(f"/api/v1/budgets/{budget['id']}", headers=rival.headers).status_code == 404
    listed, board = seen_by(owner)
    assert listed[0]["reference_conv_macs"] == private["conv_macs"] and board.status_code == 200
    # deleting the architecture would leave the budget's C without its reference's privacy
    refused = client.delete(f"/api/v1/architectures/{private['id']}", headers=owner.headers)
    assert refused.status_code == 409 and body["name"] in refused.json()["detail"]
    # once published, everyone may see the budget and where it came from
    client.patch(f"/api/v1/architectures/{private['id']}", json={"published": True}, headers=owner.headers)
    listed, board = seen_by(rival)
    assert listed[0]["reference_architecture_id"] == private["id"] and board.status_code == 200
