"""The leaderboard of a time budget (docs/design.md, "Device profiles"): ranked by mean top-1 error
among the models whose measured median on the budget's device and protocol is within the
tolerance, with the median's p10-p90 and the noisy count; models never benchmarked there are
listed apart with their predicted time and not ranked. Each test has an input side of its own,
so the candidates (every visible architecture of that side) are its own."""

from __future__ import annotations

import uuid

import pytest

from app.db import session_scope
from app.jobs.models import Job, Result
from app.jobs.results import BenchmarkDetails, Timing
from app.leaderboard.service import board
from app.teams.models import Team
from tests.conftest import TeamLogin
from tests.test_api_leaderboard import results
from tests.test_latency_budgets import created, new_profile

# "(1,n) + gap + fc 10" on the synthetic profile: its 14 us overhead + 10 n fc MACs at 0.5 ns,
# whatever the input side (its 1x1 conv and global pooling are next to free there)
NEAR = "(1,100) + gap + fc 10"
NEAR_MS = (1.4e-5 + 100 * 10 * 5e-10) * 1e3
FAR = "(3,64) + gap + fc 10"  # a 3x3 conv of 3 -> 64 channels: milliseconds at these sides


def design(client, login: TeamLogin, side: int, notation: str = NEAR, published: bool = True) -> dict:
    body = {"name": f"t-{uuid.uuid4().hex[:8]}", "notation": notation, "input": {"height": side, "width": side},
            "published": published}  # fmt: skip
    response = client.post("/api/v1/architectures", json=body, headers=login.headers)
    assert response.status_code == 201, response.text
    return response.json()


def timing(median_s: float, batch: int = 1) -> Timing:
    return Timing(batch=batch, median_s=median_s, p10_s=median_s * 0.9, p90_s=median_s * 1.2, runs=30,
                  calls_per_run=1, images_per_s=batch / median_s, images_per_s_p10=batch / (median_s * 1.2),
                  images_per_s_p90=batch / (median_s * 0.9))  # fmt: skip


def benchmark(settings, arch: dict, device: str, ms: float, batch: int = 32, dtype: str = "float32",
              noisy: bool = False, batch_used: int | None = None, rate: float | None = None) -> None:  # fmt: skip
    """One finished benchmark job and its result: `ms` at batch 1, `rate` images/s at `batch`."""
    rate = rate or 1e3 / ms
    details = BenchmarkDetails(latency=timing(ms / 1e3), throughput=timing(batch / rate, batch),
                               train_step=timing(0.1, batch), batch_requested=batch,
                               batch_used=batch_used or batch, noisy=noisy)  # fmt: skip
    protocol = f"benchmark, batch 1 and {batch}, {dtype}"
    with session_scope(settings.database_url) as session:
        job = Job(team_id=arch["team_id"], architecture_id=arch["id"], kind="benchmark", queue="cpu", params={},
                  protocol=protocol, status="succeeded", device=device)  # fmt: skip
        session.add(job)
        session.flush()
        session.add(Result(job_id=job.id, architecture_id=arch["id"], team_id=arch["team_id"], kind="benchmark",
                           protocol=protocol, dataset="synthetic", conv_macs=arch["conv_macs"], latency_ms=ms,
                           throughput=rate, device=device, provenance={"test": True},
                           details=details.model_dump(mode="json")))  # fmt: skip


def get(client, login: TeamLogin, budget: dict, **params) -> dict:
    response = client.get(
        "/api/v1/leaderboard", params={"budget_id": budget["id"], **params}, headers=login.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def latency_budget(client, settings, team, side: int, reference: dict) -> tuple[dict, dict]:
    """A latency budget of +-10% around the predicted time of `reference`, on a fresh profile."""
    profile = new_profile(settings)
    budget = created(client, team, metric="latency_ms", device_profile=profile["id"],
                     reference_architecture_id=reference["id"], tolerance=0.1)  # fmt: skip
    assert budget["reference_value"] == pytest.approx(NEAR_MS)
    return profile, budget


def test_ranked_by_error_inside_the_measured_band_and_unmeasured_apart(
    client, settings, team, other_team
) -> None:
    side, protocol = 41, f"digits/{uuid.uuid4().hex[:6]}"
    a, b, c, d = (design(client, team, side) for _ in range(4))
    far = design(client, team, side, FAR)
    e = design(client, other_team, side)  # another team's, published
    hidden = design(client, other_team, side, published=False)
    profile, budget = latency_budget(client, settings, team, side, a)
    for arch, error in ((a, 5.0), (b, 3.0), (c, 1.0), (d, 2.0), (far, 0.5), (e, 4.0), (hidden, 0.1)):
        results(settings, arch, protocol, [error, error + 1.0])
    device, r = profile["device"], NEAR_MS
    benchmark(settings, a, device, r)
    benchmark(settings, a, "Another CPU", 100 * r)  # another device: not this budget's
    benchmark(settings, b, device, r * 1.0)
    benchmark(settings, b, device, r * 1.08)
    benchmark(settings, b, device, r * 5, noisy=True)  # left out: quiet ones exist
    benchmark(settings, c, device, r * 1.5)  # measured outside the band: not on the board
    benchmark(settings, c, device, r, dtype="bfloat16")  # another protocol than the profile's
    benchmark(settings, e, device, r * 0.95)
    benchmark(settings, hidden, device, r)
    out = get(client, team, budget, protocol=protocol)
    assert out["measure"] == {"metric": "latency_ms", "unit": "ms", "reference_value": budget["reference_value"],
                              "batch_size": 1, "device": device, "device_profile_id": profile["id"],
                              "dtype": "float32", "channels_last": False}  # fmt: skip
    assert [(x["architecture_id"], x["rank"]) for x in out["entries"]] == [
        (b["id"], 1),
        (e["id"], 2),
        (a["id"], 3),
    ]
    first = out["entries"][0]
    assert first["predicted"] is False and first["predicted_ms"] is None
    assert first["measured"]["latency_ms"] == pytest.approx(r * 1.04)  # the median of the quiet two
    assert (first["measured"]["benchmarks"], first["measured"]["noisy"], first["measured"]["used"]) == (
        3,
        1,
        2,
    )
    assert (
        first["measured"]["latency_ms_p10"]
        < first["measured"]["latency_ms"]
        < first["measured"]["latency_ms_p90"]
    )
    assert first["measured"]["device"] == device and first["time_ratio"] == pytest.approx(1.04)
    single = out["entries"][2]["measured"]  # one benchmark: the spread of its own runs
    assert (single["latency_ms_p10"], single["latency_ms_p90"]) == pytest.approx((r * 0.9, r * 1.2))
    assert [x["architecture_id"] for x in out["predicted"]] == [d["id"]]  # far: predicted outside
    apart = out["predicted"][0]
    assert apart["predicted"] is True and apart["rank"] is None and apart["measured"] is None
    assert apart["predicted_ms"] == pytest.approx(NEAR_MS) and apart["time_ratio"] == pytest.approx(1.0)
    assert protocol in out["protocols"]
    # the team filter keeps the board's ranks; the other team sees the published rows only
    mine = get(client, team, budget, protocol=protocol, team=team.name)
    assert [(x["architecture_id"], x["rank"]) for x in mine["entries"]] == [(b["id"], 1), (a["id"], 3)]
    theirs = get(client, other_team, budget, protocol=protocol)
    assert hidden["id"] in [x["architecture_id"] for x in theirs["entries"]]
    assert hidden["id"] not in [x["architecture_id"] for x in out["entries"] + out["predicted"]]


def test_benchmarking_moves_a_model_from_predicted_to_ranked(client, settings, team) -> None:
    side, protocol = 43, f"digits/{uuid.uuid4().hex[:6]}"
    a = design(client, team, side)
    profile, budget = latency_budget(client, settings, team, side, a)
    results(settings, a, protocol, [7.0])
    before = get(client, team, budget, protocol=protocol)
    assert before["entries"] == [] and [x["architecture_id"] for x in before["predicted"]] == [a["id"]]
    benchmark(settings, a, profile["device"], NEAR_MS * 1.02)
    after = get(client, team, budget, protocol=protocol)
    assert after["predicted"] == [] and [(x["architecture_id"], x["rank"]) for x in after["entries"]] == [
        (a["id"], 1)
    ]


def test_a_throughput_budget_counts_its_batch_only(client, settings, team) -> None:
    side, protocol = 47, f"digits/{uuid.uuid4().hex[:6]}"
    a, b, c = (design(client, team, side) for _ in range(3))
    far = design(client, team, side, FAR)
    profile = new_profile(settings)
    budget = created(client, team, metric="throughput", device_profile=profile["id"], batch_size=32,
                     reference_value=1000.0, input_side=side, tolerance=0.05)  # fmt: skip
    for arch in (a, b, c, far):
        results(settings, arch, protocol, [3.0])
    benchmark(settings, a, profile["device"], 1.0, batch=32, rate=1040.0)
    benchmark(settings, b, profile["device"], 1.0, batch=64, rate=1000.0)  # another batch
    benchmark(settings, c, profile["device"], 1.0, batch=32, rate=1000.0, batch_used=16)  # halved: not at 32
    out = get(client, team, budget, protocol=protocol)
    assert (out["measure"]["unit"], out["measure"]["batch_size"]) == ("images/s", 32)
    assert [x["architecture_id"] for x in out["entries"]] == [a["id"]]
    assert out["entries"][0]["measured"]["throughput"] == pytest.approx(1040.0)
    assert out["entries"][0]["time_ratio"] == pytest.approx(1.04)
    assert out["entries"][0]["measured"]["protocol"] == "benchmark, batch 1 and 32, float32"
    # a profile predicts batch-1 latency only: every unmeasured model is listed, with its time
    apart = {x["architecture_id"]: x for x in out["predicted"]}
    assert set(apart) == {b["id"], c["id"], far["id"]}
    assert all(x["predicted"] and x["rank"] is None and x["time_ratio"] is None for x in apart.values())
    assert apart[far["id"]]["predicted_ms"] > 10 * apart[b["id"]]["predicted_ms"]


def test_a_cost_budget_board_says_so_and_lists_nothing_apart(client, team) -> None:
    budget = created(client, team, reference_preset="A-s36")
    out = get(client, team, budget)
    assert out["measure"]["metric"] == "macs" and out["measure"]["unit"] == "MAC"
    assert out["measure"]["device"] is None and out["predicted"] == []


def test_service_function_matches_http(client, settings, team) -> None:
    side, protocol = 53, f"digits/{uuid.uuid4().hex[:6]}"
    a, b = design(client, team, side), design(client, team, side)
    profile, budget = latency_budget(client, settings, team, side, a)
    results(settings, a, protocol, [2.0])
    results(settings, b, protocol, [1.0])
    benchmark(settings, a, profile["device"], NEAR_MS)
    with session_scope(settings.database_url) as session:
        out = board(session, session.get(Team, team.id), budget["id"], protocol=protocol)
        direct = out.model_dump(mode="json")
    assert direct == get(client, team, budget, protocol=protocol)
    assert [x["architecture_id"] for x in direct["entries"]] == [a["id"]]
    assert [x["architecture_id"] for x in direct["predicted"]] == [b["id"]]


def test_the_figure_of_a_time_budget_plots_error_against_measured_time(client, settings, team) -> None:
    side, protocol = 43, f"digits/{uuid.uuid4().hex[:6]}"
    measured, unmeasured = design(client, team, side), design(client, team, side)
    profile, budget = latency_budget(client, settings, team, side, measured)
    for arch in (measured, unmeasured):
        results(settings, arch, protocol, [2.0, 3.0])
    benchmark(settings, measured, profile["device"], NEAR_MS * 1.02)
    response = client.get(
        "/api/v1/figures/leaderboard", params={"budget_id": budget["id"]}, headers=team.headers
    )
    assert response.status_code == 200, response.text
    figure = response.json()["figure"]
    assert figure["layout"]["title"]["text"].endswith("error against measured time")
    assert "batch-1 latency on" in figure["layout"]["xaxis"]["title"]["text"]
    points = [trace for trace in figure["data"] if trace.get("mode") == "markers+text"]
    assert [x for trace in points for x in trace["x"]] == [pytest.approx(NEAR_MS * 1.02)]  # not the predicted
    bars = points[0]["error_x"]
    assert bars["arrayminus"][0] == pytest.approx(NEAR_MS * 1.02 * 0.1) and bars["array"][0] > 0  # p10-p90
    band = next(shape for shape in figure["layout"]["shapes"] if shape["type"] == "rect")
    assert (band["x0"], band["x1"]) == pytest.approx((NEAR_MS * 0.9, NEAR_MS * 1.1))
    assert band["name"] == "budget's band (±10% of its time)"
