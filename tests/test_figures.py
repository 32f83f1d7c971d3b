"""Server-built figures: the pure builders (data in, figure JSON out) and the /figures endpoints
for per-layer costs, training curves, benchmarks and the leaderboard. The relation graphs are in
tests/test_figures_relations.py."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.db import session_scope
from app.figures.benchmark import benchmark_layers, benchmark_rows
from app.figures.costs import layer_costs
from app.figures.curves import training_curves
from app.figures.scatter import cost_axis, leaderboard_scatter
from app.jobs.models import Job, Metric, Result
from app.jobs.results import BenchmarkDetails, LayerTiming, Timing
from app.leaderboard.pareto import pareto_front
from app.settings import Settings
from tests.conftest import make_team
from tests.jobs_support import add_architecture, add_job

# -- per-layer cost bars -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["A", "E-s36", "J'-s36"])
def test_layer_bars_match_the_analysis(name: str) -> None:
    analysis = analyse(presets()[name].spec)
    figure = layer_costs(analysis)
    (bars,) = figure["data"]
    convs = [layer for layer in analysis.layers if layer.kind == "conv"]
    assert bars["type"] == "bar"
    assert list(bars["x"]) == [layer.name for layer in convs]
    assert list(bars["y"]) == [layer.macs for layer in convs]
    assert sum(bars["y"]) == analysis.conv_macs
    assert list(bars["text"]) == [f"{layer.share * 100:.1f} %" for layer in convs]
    assert "MACs per image" in figure["layout"]["yaxis"]["title"]["text"]
    json.dumps(figure)  # plain JSON: no numpy arrays, no NaN


def test_layer_bars_put_the_reference_beside() -> None:
    analysis, reference = analyse(presets()["B-s36"].spec), analyse(presets()["A-s36"].spec)
    figure = layer_costs(analysis, reference)
    _, theirs = figure["data"]
    assert list(theirs["y"]) == [layer.macs for layer in reference.layers if layer.kind == "conv"]
    assert theirs["name"] == "reference: A-s36" and figure["layout"]["barmode"] == "group"


def test_layer_bars_without_convs_say_so() -> None:
    from app.arch.notation import parse

    figure = layer_costs(analyse(parse("pool 2 + fc 10")))
    assert figure["data"] == [] or figure["data"] == ()
    assert "C = 0 MACs" in figure["layout"]["annotations"][0]["text"]


# -- training curves and benchmarks --------------------------------------------------------------


def test_training_curves_grow_with_the_metrics() -> None:
    metrics = [
        {"epoch": 1, "train_loss": 2.1, "val_loss": 2.0, "top1_error": 60.0, "top5_error": None},
        {"epoch": 2, "train_loss": 1.2, "val_loss": 1.3, "top1_error": 30.0, "top5_error": None},
    ]
    figure = training_curves(metrics, "job 1")
    traces = {t["name"]: t for t in figure["data"]}
    assert set(traces) == {"train loss", "validation loss", "top-1 error"}  # no all-None series
    assert list(traces["train loss"]["x"]) == [1, 2] and list(traces["train loss"]["y"]) == [2.1, 1.2]
    assert list(traces["top-1 error"]["y"]) == [60.0, 30.0]
    assert traces["top-1 error"]["xaxis"] == "x2"  # the error panel
    assert "No finished epochs" in training_curves([])["layout"]["annotations"][0]["text"]


def timed(name: str, median_s: float, theory: float | None = None, share: float | None = None,
          flagged: bool = False) -> LayerTiming:  # fmt: skip
    """A layer as `worker.benchmark` times it: a conv when it has a share of C, else a pool."""
    conv = theory is not None
    return LayerTiming(name=name, kind="conv" if conv else "maxpool", median_s=median_s, p10_s=median_s,
                       p90_s=median_s, time_share=0.0, macs=1000 if conv else 0, theoretical_share=theory,
                       conv_time_share=share, share_ratio=share / theory if theory and share else None,
                       macs_per_s=None, flagged=flagged)  # fmt: skip


def benchmark_details(*layers: LayerTiming) -> dict[str, Any]:
    """`Result.details` as the worker stores it (app.jobs.results)."""
    timing = Timing(batch=1, median_s=0.01, p10_s=0.009, p90_s=0.011, runs=5, calls_per_run=1,
                    images_per_s=100.0, images_per_s_p10=90.9, images_per_s_p90=111.1)  # fmt: skip
    details = BenchmarkDetails(latency=timing, throughput=timing, train_step=timing, layers=list(layers))
    return details.model_dump(mode="json")


def test_benchmark_rows_read_the_workers_layer_table() -> None:
    details = benchmark_details(
        timed("conv1", 0.002, 0.25, 0.4),
        timed("pool1", 0.001),
        timed("conv2", 0.003, 0.75, 0.6, flagged=True),
    )
    rows = benchmark_rows(details)
    assert [r["name"] for r in rows] == ["conv1", "conv2"]
    assert rows[0] == dict(name="conv1", theoretical=0.25, measured=0.4, measured_ms=2.0, flagged=False)
    figure = benchmark_layers(rows, "cpu")
    theory, measured = figure["data"]
    assert list(theory["y"]) == [25.0, 75.0] and list(measured["y"]) == [40.0, 60.0]
    assert list(measured["text"]) == ["", "⚑"]
    # without conv_time_share, the measured share is computed from the conv layers' times
    bare = benchmark_rows(benchmark_details(timed("a", 1.0, 0.5), timed("b", 3.0, 0.5)))
    assert [r["measured"] for r in bare] == [0.25, 0.75]


@pytest.mark.parametrize(
    "details",
    [
        None,
        {"latency_ms": 1},  # a result stored before the schema
        {"layers": [{"name": "conv1", "kind": "conv", "median_s": 0.002, "theoretical_share": 0.25}]},
        benchmark_details(),  # valid, but timed without per_layer
    ],
)
def test_benchmarks_without_a_readable_layer_table_give_the_empty_figure(
    details: dict[str, Any] | None,
) -> None:
    assert benchmark_rows(details) == []
    figure = benchmark_layers(benchmark_rows(details))
    assert "No per-layer timings" in figure["layout"]["annotations"][0]["text"]


# -- leaderboard ---------------------------------------------------------------------------------


def test_pareto_front() -> None:
    points = [(10, 5.0), (8, 6.0), (12, 4.0), (9, 7.0), (10, 5.0), (11, 5.0), (7, 9.0)]
    # (9, 7) is beaten by (8, 6); (11, 5) by (10, 5); the two (10, 5) tie and both stay
    assert pareto_front(points) == [6, 1, 0, 4, 2]
    assert pareto_front([]) == []
    assert pareto_front([(1, 1)]) == [0]


def test_leaderboard_scatter_has_the_front_and_the_band() -> None:
    entries = [
        {"architecture_name": "a", "team_name": "x", "own": True, "conv_macs": 100, "top1_error_mean": 10.0,
         "top1_error_std": 1.0, "seeds": 3, "protocol": "p", "rank": 2},
        {"architecture_name": "b", "team_name": "y", "own": False, "conv_macs": 98, "top1_error_mean": 9.0,
         "top1_error_std": None, "seeds": 1, "protocol": "p", "rank": 1},
        {"architecture_name": "c", "team_name": "y", "own": False, "conv_macs": 102, "top1_error_mean": 12.0,
         "top1_error_std": 0.5, "seeds": 2, "protocol": "p", "rank": 3},
    ]  # fmt: skip
    figure = leaderboard_scatter(
        entries, cost_axis({"reference_conv_macs": 100, "tolerance": 0.05, "name": "b"})
    )
    names = [t["name"] for t in figure["data"]]
    assert names[0] == "x (your team)"  # the viewer's team first
    front = next(t for t in figure["data"] if t["name"].startswith("Pareto front"))
    assert list(front["x"]) == [98] and list(front["y"]) == [9.0]
    band = figure["layout"]["shapes"][0]
    assert band["x0"] == pytest.approx(95) and band["x1"] == pytest.approx(105)
    assert figure["layout"]["yaxis"]["title"]["text"] == "top-1 error (%)"
    empty = leaderboard_scatter([{"conv_macs": 1, "top1_error_mean": None}], cost_axis(None))
    assert "No finished training results" in empty["layout"]["annotations"][0]["text"]


# -- endpoints -----------------------------------------------------------------------------------


def test_layers_endpoint_matches_complexity(client: TestClient) -> None:
    body = {"preset": "C-s36", "reference": {"preset": "A-s36"}}
    figure = client.post("/api/v1/figures/layers", json=body).json()["figure"]
    analysis = client.post("/api/v1/complexity", json=body).json()
    assert figure["data"][0]["y"] == [l["macs"] for l in analysis["layers"] if l["kind"] == "conv"]  # noqa: E741
    bad = client.post("/api/v1/figures/layers", json={"notation": "(3,16) + foo"})
    assert bad.status_code == 422 and bad.json()["field"] == "notation" and bad.json()["position"] == 9


def test_job_figures_are_team_scoped(client: TestClient, settings: Settings) -> None:
    team, rival = make_team(settings), make_team(settings, "rival")
    arch = add_architecture(settings.database_url, team.id)
    job = add_job(settings.database_url, team.id, arch, status="running", progress=0.5)
    with session_scope(settings.database_url) as session:
        for epoch, loss in [(1, 2.0), (2, 1.5)]:
            session.add(
                Metric(job_id=job, epoch=epoch, train_loss=loss, val_loss=loss + 0.1, top1_error=50.0 / epoch)
            )
    out = client.get(f"/api/v1/figures/jobs/{job}/curves", headers=team.headers).json()
    assert out["epochs"] == 2 and out["status"] == "running"
    train = next(t for t in out["figure"]["data"] if t["name"] == "train loss")
    assert train["x"] == [1, 2] and train["y"] == [2.0, 1.5]
    assert client.get(f"/api/v1/figures/jobs/{job}/curves", headers=rival.headers).status_code == 404
    assert client.get(f"/api/v1/figures/jobs/{job}/curves").status_code == 401
    assert client.get(f"/api/v1/figures/jobs/{job}/benchmark", headers=team.headers).status_code == 422


def test_benchmark_figure_endpoint(client: TestClient, settings: Settings) -> None:
    team = make_team(settings)
    arch = add_architecture(settings.database_url, team.id)
    with session_scope(settings.database_url) as session:
        row = Job(team_id=team.id, architecture_id=arch, kind="benchmark", queue="cpu", params={},
                  protocol="benchmark", status="succeeded")  # fmt: skip
        session.add(row)
        session.flush()
        job = row.id
    details = benchmark_details(timed("conv1", 0.001, 0.1, 0.2, flagged=True))
    with session_scope(settings.database_url) as session:
        session.add(Result(job_id=job, architecture_id=arch, team_id=team.id, kind="benchmark", protocol="b",
                           conv_macs=1, latency_ms=1.0, device="cpu", provenance={}, details=details))  # fmt: skip
    out = client.get(f"/api/v1/figures/jobs/{job}/benchmark", headers=team.headers).json()
    assert out["rows"][0]["flagged"] is True and out["device"] == "cpu"
    assert out["figure"]["data"][1]["y"] == [20.0]


def test_leaderboard_figure_endpoint(client: TestClient, settings: Settings) -> None:
    team = make_team(settings)
    budgets = client.get("/api/v1/budgets", headers=team.headers).json()
    s36 = next(b for b in budgets if b["reference_preset"] == "A-s36")
    protocol = f"digits, {uuid.uuid4().hex[:6]}"
    arch = add_architecture(settings.database_url, team.id, "B-s36", published=True)
    job = add_job(settings.database_url, team.id, arch, status="succeeded")
    with session_scope(settings.database_url) as session:
        session.add(Result(job_id=job, architecture_id=arch, team_id=team.id, kind="train", protocol=protocol,
                           dataset="digits", seed=0, conv_macs=1, top1_error=7.5, provenance={}))  # fmt: skip
    params = {"budget_id": s36["id"], "protocol": protocol}
    out = client.get("/api/v1/figures/leaderboard", headers=team.headers, params=params).json()
    front = next(t for t in out["figure"]["data"] if t["name"].startswith("Pareto"))
    assert front["y"] == [7.5] and front["x"] == [analyse(presets()["B-s36"].spec).conv_macs]
    assert client.get("/api/v1/figures/leaderboard", params=params).status_code == 401
