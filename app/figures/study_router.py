"""A study's figures and its HTML report, and runs compared (docs/api.md, "Studies"): built here,
in the figures package, which reads the studies and jobs domains (never the other way round)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from app.deps import SessionDep, SettingsDep
from app.errors import responses
from app.exceptions import Invalid
from app.fields import IdQuery
from app.figures.compare import CompareFigure, compared_jobs, run_groups
from app.figures.report import study_html
from app.figures.study import overlay_curves, study_curves, study_results
from app.studies.deps import OwnStudy
from app.studies.results import curves, detail
from app.studies.schemas import StudyFigures
from app.teams.deps import TeamDep

router = APIRouter(tags=["studies"])


def _figures(session: SessionDep, study: OwnStudy) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    out = detail(session, study)
    # an equal-time study (a time budget, as in the paper): its curves against training time
    by_time = out.protocol.get("time_budget_s") is not None
    return out, study_results(out), study_curves(out, curves(session, out), by_time=by_time)


@router.get("/studies/{study_id}/figures", response_model=StudyFigures, responses=responses(401, 404, 422))
def figures(study: OwnStudy, session: SessionDep) -> dict[str, Any]:
    """`results`: error (mean, 95% CI) against depth, one panel per paper figure, edges coloured
    by verdict; `curves`: validation error of every run, with each model's mean and a band of one
    standard deviation across seeds."""
    _, results, curve_figure = _figures(session, study)
    return {"results": results, "curves": curve_figure}


@router.get(
    "/studies/{study_id}/report.html",
    response_class=Response,  # not HTMLResponse: its errors are JSON (a route's class sets them all)
    responses={**responses(401, 404, 422), 200: {"content": {"text/html": {}}}},
)
def report_html(study: OwnStudy, session: SessionDep) -> HTMLResponse:
    """The whole study as one HTML file that opens offline (plotly.js inlined)."""
    out, results, curve_figure = _figures(session, study)
    return HTMLResponse(
        study_html(out, results, curve_figure),
        headers={"Content-Disposition": f'attachment; filename="study-{out.id}.html"'},
    )


@router.get("/figures/compare", response_model=CompareFigure, responses=responses(401, 422))
def compare(
    team: TeamDep,
    session: SessionDep,
    settings: SettingsDep,
    job_ids: Annotated[list[IdQuery] | None, Query(description="your training jobs to overlay")] = None,
    architecture_id: Annotated[IdQuery | None, Query(description="or: every training run of it")] = None,
) -> dict[str, Any]:
    """Training runs overlaid: validation error against epoch for each job, and per model and
    protocol the mean with a band of one standard deviation across its runs (seeds). Give
    `job_ids` (repeat the parameter) or `architecture_id`, at most `ISOCOST_MAX_COMPARE_JOBS`."""
    if (job_ids is None) == (architecture_id is None):
        raise Invalid("give job_ids or architecture_id", "job_ids")
    limit = settings.max_compare_jobs
    if job_ids is not None and len(job_ids) > limit:
        raise Invalid(f"{len(job_ids)} jobs is over this server's limit of {limit} to compare", "job_ids")
    jobs = compared_jobs(session, team, job_ids, architecture_id, limit)
    return {"figure": overlay_curves(run_groups(session, jobs)), "jobs": jobs}
