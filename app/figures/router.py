"""Figure endpoints: plotly figure JSON built on the server, `{"figure": {"data", "layout"}, ...}`.

The browser passes `figure.data` and `figure.layout` to `Plotly.react`. Design figures need no
token (the relation graph adds the team's architectures when one is sent); job and leaderboard
figures take the team token and show only what that team may see.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.arch.presets import Scale
from app.deps import SessionDep, SettingsDep
from app.designs.schemas import ComplexityRequest
from app.errors import responses
from app.exceptions import Invalid, Unauthenticated
from app.fields import IdQuery, Printable
from app.figures import costs, curves
from app.figures.benchmark import benchmark_layers, benchmark_rows
from app.figures.relation_graph import relation_graph
from app.figures.scatter import cost_axis, leaderboard_scatter, time_axis
from app.figures.schemas import (
    BenchmarkFigure,
    CurvesFigure,
    LayersFigure,
    LeaderboardFigure,
    RelationsFigure,
)
from app.figures.service import View, relation_view
from app.jobs import service as jobs
from app.jobs.deps import OwnJob
from app.leaderboard.service import board
from app.teams.deps import TeamDep, optional_team

router = APIRouter(prefix="/figures", tags=["figures"])


@router.post("/layers", response_model=LayersFigure, responses=responses(413, 422))
def layer_costs(body: ComplexityRequest) -> JSONResponse:
    """Per-layer conv MACs of a spec source (bars labelled with their share of C), beside the
    reference's layers when `reference` is given."""
    analysis = body.analysis()
    reference = body.reference.analysis(("reference",)) if body.reference is not None else None
    return JSONResponse(
        {
            "figure": costs.layer_costs(analysis, reference),
            "conv_macs": analysis.conv_macs,
            "unit": "MACs per image, forward pass, conv layers only (Eqn. 1)",
        }
    )


@router.get("/relations", response_model=RelationsFigure, responses=responses(401, 422))
def relations(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    scale: Scale = "s36",
    view: Annotated[View, Query(description="all relations, or the paper's Fig. 1, 2 or 3")] = "all",
    team: Annotated[bool, Query(description="add your team's architectures (needs the token)")] = False,
) -> JSONResponse:
    """The relation graph of the presets at `scale` (and your team's architectures with the same
    input size): nodes placed by depth (conv layers), edges coloured by trade-off. With your
    team's results, y is the measured top-1 error (mean over seeds, 95% interval as bars) and the
    models without one are drawn apart; without any, y is only a layout."""
    viewer = optional_team(request, session) if team else None  # without team=true a token is not read
    if team and viewer is None:
        raise Unauthenticated("team=true needs 'Authorization: Bearer <team token>'", "authorization")
    data = relation_view(session, viewer, scale, view, settings)
    figure = relation_graph(data["nodes"], data["edges"], data["reference"], data["title"])
    return JSONResponse(
        {
            "figure": figure,
            "reference": data["reference"],
            "nodes": [asdict(node) for node in data["nodes"]],
            "relations": [asdict(edge) for edge in data["edges"]],
        }
    )


@router.get("/jobs/{job_id}/curves", response_model=CurvesFigure, responses=responses(401, 404, 422))
def training_curves(own: OwnJob, session: SessionDep) -> JSONResponse:
    """Loss and error against epoch for one of your team's jobs, as far as it has got."""
    job = jobs.detail(session, own)
    metrics = [metric.model_dump() for metric in job.metrics]
    title = f"Job {job.id}: {job.architecture_name}" + (f", seed {job.seed}" if job.seed is not None else "")
    return JSONResponse(
        {
            "figure": curves.training_curves(metrics, title),
            "status": job.status,
            "progress": job.progress,
            "epochs": len(metrics),
        }
    )


@router.get("/jobs/{job_id}/benchmark", response_model=BenchmarkFigure, responses=responses(401, 404, 422))
def benchmark(own: OwnJob, session: SessionDep) -> JSONResponse:
    """Each conv layer's measured share of time against its share of C, for one of your team's
    benchmark jobs (an empty figure until the result arrives)."""
    job = jobs.detail(session, own)
    if job.kind != "benchmark":
        raise Invalid(
            f"job {job.id} is a {job.kind} job; its figure is /figures/jobs/{job.id}/curves", "job_id"
        )
    result = job.result
    rows = benchmark_rows(result.details if result else None)
    device = result.device if result else None
    title = f"Benchmark {job.id}: time against theory"
    return JSONResponse(
        {
            "figure": benchmark_layers(rows, device, title),
            "rows": rows,
            "device": device,
            "status": job.status,
        }
    )


@router.get("/leaderboard", response_model=LeaderboardFigure, responses=responses(401, 404, 422))
def leaderboard(
    team: TeamDep,
    session: SessionDep,
    budget_id: IdQuery,
    protocol: Annotated[str | None, Query(max_length=300), Printable] = None,
    team_name: Annotated[str | None, Query(alias="team", max_length=64), Printable] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONResponse:
    """Top-1 error of the leaderboard's ranked entries against conv MACs, or for a time budget
    against their measured time on its device, with the Pareto front and the tolerance band."""
    out = board(session, team, budget_id, protocol, team_name, limit)
    budget = out.budget.model_dump()
    entries = [entry.model_dump() for entry in out.entries]
    if out.measure.metric == "macs":
        x, against = cost_axis(budget), "cost"
    else:
        x, against = time_axis(out.measure.model_dump(), budget["tolerance"]), "measured time"
    title = f"{budget['name']}: error against {against}"
    return JSONResponse({"figure": leaderboard_scatter(entries, x, title)})
