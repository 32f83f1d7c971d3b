"""The leaderboard: within-budget models only, ranked by mean top-1 error over seeds, with the
spread, filters, visibility, and the latest benchmark. Results are written with the ORM.

Each test uses its own protocol name, so ranks (computed per protocol) see only its rows even
though the database is shared with other tests.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Sequence

import pytest

from app.db import session_scope
from app.jobs.models import Job, Result
from app.leaderboard.service import board, sample_std
from app.teams.models import Team
from tests.conftest import TeamLogin

# One 1x1 conv at 3x36x36 costs 3 * 36 * 36 = 3,888 MACs per filter: n filters -> 3,888 n.
SIDE = 36
PER_FILTER = 3 * SIDE * SIDE


def architecture(client, login: TeamLogin, filters: int, side: int = SIDE, published: bool = True) -> dict:
    response = client.post(
        "/api/v1/architectures",
        json={
            "name": f"lb-{uuid.uuid4().hex[:8]}",
            "notation": f"(1,{filters}) + gap + fc 10",
            "input": {"height": side, "width": side},
            "published": published,
        },
        headers=login.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def results(
    settings,
    arch: dict,
    protocol: str,
    top1: Sequence[float],
    top5: Sequence[float | None] = (),
    kind: str = "train",
    dataset: str | None = "digits",
    **extra,
) -> None:
    """One finished job and its result per value (seed i gets top1[i])."""
    with session_scope(settings.database_url) as session:
        for seed, error in enumerate(top1):
            job = Job(
                team_id=arch["team_id"],
                architecture_id=arch["id"],
                kind=kind,
                queue="cpu",
                params={"seed": seed},
                protocol=protocol,
                status="succeeded",
            )
            session.add(job)
            session.flush()
            session.add(
                Result(
                    job_id=job.id,
                    architecture_id=arch["id"],
                    team_id=arch["team_id"],
                    kind=kind,
                    protocol=protocol,
                    dataset=dataset,
                    seed=seed,
                    conv_macs=arch["conv_macs"],
                    top1_error=error,
                    top5_error=top5[seed] if seed < len(top5) else None,
                    provenance={"test": True},
                    **extra,
                )
            )


@pytest.fixture
def budget(client, team) -> dict:
    """Reference: 100 filters; within 5%: 95..105 filters at side 36."""
    response = client.post(
        "/api/v1/budgets",
        json={
            "name": f"lb-{uuid.uuid4().hex[:8]}",
            "reference_conv_macs": 100 * PER_FILTER,
            "input_side": SIDE,
        },
        headers=team.headers,
    )
    return response.json()


@pytest.fixture
def protocol() -> str:
    return f"digits/e2/{uuid.uuid4().hex[:8]}"


def get_board(client, login: TeamLogin, budget: dict, **params) -> dict:
    response = client.get(
        "/api/v1/leaderboard", params={"budget_id": budget["id"], **params}, headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def mine(board_json: dict, protocol: str) -> list[dict]:
    return [e for e in board_json["entries"] if e["protocol"] == protocol]


def test_ranked_by_mean_error_with_spread_over_seeds(
    client, settings, team, other_team, budget, protocol
) -> None:
    x = architecture(client, team, 100)
    y = architecture(client, other_team, 98)
    z = architecture(client, team, 103)
    results(settings, x, protocol, [10.0, 12.0], [2.0, 3.0])
    results(settings, y, protocol, [8.0, 9.0, 10.0], [1.0, 1.5, 2.5])
    results(settings, z, protocol, [20.0])
    entries = mine(get_board(client, team, budget, protocol=protocol), protocol)
    assert [e["architecture_id"] for e in entries] == [y["id"], x["id"], z["id"]]
    assert [e["rank"] for e in entries] == [1, 2, 3]
    first, second, third = entries
    assert first["seeds"] == 3 and first["top1_error_mean"] == pytest.approx(9.0)
    assert first["top1_error_std"] == pytest.approx(1.0)
    assert first["top5_error_mean"] == pytest.approx(5 / 3)
    assert first["top5_error_std"] == pytest.approx(statistics.stdev([1.0, 1.5, 2.5]))
    assert second["top1_error_std"] == pytest.approx(statistics.stdev([10.0, 12.0]))
    assert third["seeds"] == 1 and third["top1_error_std"] is None and third["top5_error_mean"] is None
    assert first["team_name"] == other_team.name and first["own"] is False and second["own"] is True
    assert [e["ratio"] for e in entries] == pytest.approx([0.98, 1.0, 1.03])
    assert first["conv_macs"] == 98 * PER_FILTER and first["architecture_name"] == y["name"]


def test_equal_means_share_a_rank_and_identical_seeds_have_zero_spread(
    client, settings, team, budget, protocol
) -> None:
    a, b, c = (architecture(client, team, n) for n in (99, 100, 101))
    results(settings, a, protocol, [12.25, 12.25, 12.25, 12.25])
    results(settings, b, protocol, [12.0, 12.5])
    results(settings, c, protocol, [12.3, 12.3, 12.3])
    entries = mine(get_board(client, team, budget, protocol=protocol), protocol)
    assert [e["rank"] for e in entries] == [1, 1, 3]
    assert {e["architecture_id"] for e in entries[:2]} == {a["id"], b["id"]}
    assert entries[0 if entries[0]["architecture_id"] == a["id"] else 1]["top1_error_std"] == 0.0
    assert entries[2]["top1_error_std"] == 0.0  # 12.3 is inexact in binary: no rounding residue left


def test_only_models_within_the_budget_compete(client, settings, team, budget, protocol) -> None:
    inside = {n: architecture(client, team, n) for n in (95, 105)}  # both edges are within 5%
    outside = [architecture(client, team, 94), architecture(client, team, 106)]
    other_side = architecture(client, team, 400, side=18)  # same conv MACs, another input size
    assert other_side["conv_macs"] == 100 * PER_FILTER
    for arch in [*inside.values(), *outside, other_side]:
        results(settings, arch, protocol, [5.0])
    entries = mine(get_board(client, team, budget, protocol=protocol), protocol)
    assert {e["architecture_id"] for e in entries} == {a["id"] for a in inside.values()}
    assert sorted(e["ratio"] for e in entries) == pytest.approx([0.95, 1.05])


def test_synthetic_and_unknown_datasets_are_never_ranked(client, settings, team, budget, protocol) -> None:
    mixed = architecture(client, team, 100)
    synthetic_only = architecture(client, team, 101)
    results(settings, mixed, protocol, [10.0])
    results(settings, mixed, protocol, [0.0, 0.0], dataset="synthetic")
    results(settings, synthetic_only, protocol, [1.0], dataset="synthetic")
    results(settings, synthetic_only, protocol, [1.0], dataset=None)
    results(settings, synthetic_only, protocol, [None])  # a training run without an error figure
    entries = mine(get_board(client, team, budget, protocol=protocol), protocol)
    assert [(e["architecture_id"], e["seeds"], e["top1_error_mean"]) for e in entries] == [
        (mixed["id"], 1, 10.0)
    ]


def test_unpublished_of_others_hidden_own_marked(
    client, settings, team, other_team, budget, protocol
) -> None:
    own_private = architecture(client, team, 100, published=False)
    their_private = architecture(client, other_team, 100, published=False)
    their_public = architecture(client, other_team, 99)
    for arch in (own_private, their_private, their_public):
        results(settings, arch, protocol, [7.0])
    entries = {
        e["architecture_id"]: e for e in mine(get_board(client, team, budget, protocol=protocol), protocol)
    }
    assert set(entries) == {own_private["id"], their_public["id"]}
    assert entries[own_private["id"]]["published"] is False and entries[own_private["id"]]["own"] is True
    assert entries[their_public["id"]]["published"] is True and entries[their_public["id"]]["own"] is False
    theirs = {
        e["architecture_id"] for e in mine(get_board(client, other_team, budget, protocol=protocol), protocol)
    }
    assert theirs == {their_private["id"], their_public["id"]}


def test_filters_by_protocol_and_team(client, settings, team, other_team, budget, protocol) -> None:
    other_protocol = protocol + "-cifar"
    ours = architecture(client, team, 100)
    theirs = architecture(client, other_team, 101)
    results(settings, ours, protocol, [9.0])
    results(settings, theirs, protocol, [5.0])
    results(settings, ours, other_protocol, [40.0, 42.0])

    everything = get_board(client, team, budget)
    assert {protocol, other_protocol} <= set(everything["protocols"])
    assert everything["protocols"] == sorted(everything["protocols"])
    assert {(e["architecture_id"], e["protocol"], e["rank"]) for e in everything["entries"]} >= {
        (theirs["id"], protocol, 1),
        (ours["id"], protocol, 2),
        (ours["id"], other_protocol, 1),
    }

    one = get_board(client, team, budget, protocol=other_protocol)
    assert [(e["architecture_id"], e["seeds"]) for e in one["entries"]] == [(ours["id"], 2)]
    assert protocol in one["protocols"]  # the choice of protocols does not shrink with the filter

    only_ours = get_board(client, team, budget, protocol=protocol, team=team.name)
    assert [(e["architecture_id"], e["rank"]) for e in only_ours["entries"]] == [(ours["id"], 2)]
    assert get_board(client, team, budget, team="no-such-team")["entries"] == []


def test_latest_benchmark_is_shown(client, settings, team, budget, protocol) -> None:
    timed = architecture(client, team, 100)
    untimed = architecture(client, team, 101)
    results(settings, timed, protocol, [11.0])
    results(settings, untimed, protocol, [12.0])
    for latency_ms, throughput, device in ((9.0, 100.0, "cpu: old"), (4.0, 250.0, "cpu: new")):
        results(settings, timed, "bench", [None], kind="benchmark", dataset="synthetic",
                latency_ms=latency_ms, throughput=throughput, device=device)  # fmt: skip
    entries = mine(get_board(client, team, budget, protocol=protocol), protocol)
    assert (entries[0]["latency_ms"], entries[0]["throughput"], entries[0]["device"]) == (
        4.0,
        250.0,
        "cpu: new",
    )
    assert (entries[1]["latency_ms"], entries[1]["throughput"], entries[1]["device"]) == (None, None, None)
    assert "bench" not in get_board(client, team, budget)["protocols"]


def test_limit_and_budget_echo(client, settings, team, budget, protocol) -> None:
    for n, error in ((100, 3.0), (101, 2.0), (102, 1.0)):
        results(settings, architecture(client, team, n), protocol, [error])
    out = get_board(client, team, budget, protocol=protocol, limit=2)
    assert [e["top1_error_mean"] for e in out["entries"]] == [1.0, 2.0]
    assert out["budget"] == budget


def test_service_function_matches_http(client, settings, team, budget, protocol) -> None:
    results(settings, architecture(client, team, 100), protocol, [6.0, 8.0])
    with session_scope(settings.database_url) as session:
        out = board(session, session.get(Team, team.id), budget["id"], protocol=protocol)
    assert out.model_dump(mode="json") == get_board(client, team, budget, protocol=protocol)


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "query.budget_id"),
        ({"budget_id": "x"}, 422, "query.budget_id"),
        ({"budget_id": 2**31}, 422, "query.budget_id"),
        ({"budget_id": 2**31 - 1}, 404, "budget_id"),
        ({"budget_id": 1, "limit": 0}, 422, "query.limit"),
        ({"budget_id": 1, "limit": 501}, 422, "query.limit"),
        ({"budget_id": 1, "team": "a\x00b"}, 422, "query.team"),
        ({"budget_id": 1, "protocol": "p" * 301}, 422, "query.protocol"),
    ],
)
def test_bad_queries(client, team, params, status, field) -> None:
    response = client.get("/api/v1/leaderboard", params=params, headers=team.headers)
    assert response.status_code == status and response.json()["field"] == field


def test_needs_a_token(client) -> None:
    assert client.get("/api/v1/leaderboard", params={"budget_id": 1}).status_code == 401


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0], None),
        ([5.0, 5.0], 0.0),
        ([1.0, 2.0, 3.0, 4.0], statistics.stdev([1.0, 2.0, 3.0, 4.0])),
        ([99.9, 99.7, 99.8], statistics.stdev([99.9, 99.7, 99.8])),
    ],
)
def test_sample_std_from_sums(values, expected) -> None:
    got = sample_std(len(values), sum(values), sum(v * v for v in values))
    assert got == (None if expected is None else pytest.approx(expected, abs=1e-9))
