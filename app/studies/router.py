"""A team's studies: the paper's controlled experiments, one object each (docs/api.md, "Studies")."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Response

from app.deps import PageDep, SessionDep, SettingsDep
from app.errors import responses
from app.idempotency.deps import IdempotencyKeyHeader, idempotent
from app.jobs.paths import public_error
from app.pagination import Page
from app.settings import Settings
from app.studies import service
from app.studies.deps import OwnStudy
from app.studies.results import detail, flat_rows
from app.studies.schemas import StudyCreate, StudyOut, StudySummary
from app.teams.deps import TeamDep

router = APIRouter(prefix="/studies", tags=["studies"])


@router.post("", status_code=201, response_model=StudyOut, responses=responses(401, 409, 413, 422, 429))
def create(
    body: StudyCreate,
    team: TeamDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> StudyOut | Response:
    """Save the models as your architectures (reusing yours with the same spec) and queue one
    training job per model, learning rate and seed. With an `Idempotency-Key`, a retry returns
    the first response and queues nothing more."""
    return idempotent(
        session, settings, team, idempotency_key, "POST /studies", body, 201,
        lambda: _public(service.create(session, settings, team, body), settings),
    )  # fmt: skip


@router.get("", response_model=Page[StudySummary], responses=responses(401, 422))
def list_studies(team: TeamDep, session: SessionDep, paging: PageDep) -> Page[StudySummary]:
    return service.page(session, team, paging)


@router.get("/{study_id}", response_model=StudyOut, responses=responses(401, 404, 422))
def get_study(study: OwnStudy, session: SessionDep, settings: SettingsDep) -> StudyOut:
    """Status, progress, per-model statistics and one comparison per relation edge."""
    return _public(detail(session, study), settings)


@router.post("/{study_id}/cancel", response_model=StudyOut, responses=responses(401, 404, 422))
def cancel(study: OwnStudy, session: SessionDep, settings: SettingsDep) -> StudyOut:
    """Cancel every job of the study still queued or running."""
    return _public(service.cancel(session, study), settings)


@router.delete("/{study_id}", status_code=204, response_class=Response, responses=responses(401, 404, 422))
def delete(study: OwnStudy, session: SessionDep) -> Response:
    """Cancel what still runs and delete the study; its jobs and their results stay yours."""
    service.delete(session, study)
    return Response(status_code=204)


@router.get(
    "/{study_id}/report.csv",
    response_class=Response,
    responses={**responses(401, 404, 422), 200: {"content": {"text/csv": {}}}},
)
def report_csv(study: OwnStudy, session: SessionDep, settings: SettingsDep) -> Response:
    """One row per run: the model, its cost and depth, the run's rate, seed, status and error,
    and the model's statistics."""
    rows = flat_rows(_public(detail(session, study), settings))
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return Response(buffer.getvalue(), media_type="text/csv", headers=_attachment(study.id, "csv"))


@router.get("/{study_id}/report.json", response_model=StudyOut, responses=responses(401, 404, 422))
def report_json(study: OwnStudy, session: SessionDep, settings: SettingsDep) -> Response:
    """The study as `GET /studies/{id}` returns it, as a file to download."""
    body = _public(detail(session, study), settings).model_dump_json(indent=2)
    return Response(body, media_type="application/json", headers=_attachment(study.id, "json"))


def _attachment(study_id: int, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="study-{study_id}.{extension}"'}


def _public(study: StudyOut, settings: Settings) -> StudyOut:
    """No absolute server path in a run's error (app.jobs.paths)."""
    for model in study.models:
        for run in model.runs:
            run.error = public_error(run.error, settings) if run.error else None
    return study
