"""A team's training, benchmark and calibration jobs: submitted here, run by workers, followed by
polling."""

from __future__ import annotations

from typing import TypeVar

from fastapi import APIRouter, Response

from app.deps import PageDep, SessionDep, SettingsDep
from app.errors import responses
from app.fields import IdQuery
from app.idempotency.deps import IdempotencyKeyHeader, idempotent
from app.jobs import service
from app.jobs.deps import OwnJob
from app.jobs.paths import public_error
from app.jobs.schemas import JobDetail, JobOut, JobRequest, Submitted
from app.jobs.status import JobKind, JobStatus
from app.pagination import Page
from app.settings import Settings
from app.teams.deps import TeamDep

router = APIRouter(prefix="/jobs", tags=["jobs"])
J = TypeVar("J", bound=JobOut)


@router.post("", status_code=201, response_model=Submitted, responses=responses(401, 403, 409, 413, 422, 429))
def submit(
    body: JobRequest,
    team: TeamDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Submitted | Response:
    """Train (one job per seed) or benchmark one of your architectures. The job is stored
    first and then queued; `GET /jobs/{id}` follows it. With an `Idempotency-Key`, a retry
    returns the first response and queues nothing more."""
    return idempotent(
        session, settings, team, idempotency_key, "POST /jobs", body, 201,
        lambda: service.submit(session, settings, team, body),
    )  # fmt: skip


@router.get("", response_model=Page[JobOut], responses=responses(401, 422))
def list_jobs(
    team: TeamDep,
    session: SessionDep,
    paging: PageDep,
    settings: SettingsDep,
    status: JobStatus | None = None,
    kind: JobKind | None = None,
    architecture_id: IdQuery | None = None,
) -> Page[JobOut]:
    out = service.page(session, team, status, kind, architecture_id, paging)
    out.items = [_public(job, settings) for job in out.items]
    return out


@router.get("/{job_id}", response_model=JobDetail, responses=responses(401, 404, 422))
def get_job(job: OwnJob, session: SessionDep, settings: SettingsDep) -> JobDetail:
    """The job, its per-epoch metrics so far, and its result once it has one."""
    return _public(service.detail(session, job), settings)


@router.post("/{job_id}/cancel", response_model=JobDetail, responses=responses(401, 404, 409, 422))
def cancel(job: OwnJob, session: SessionDep, settings: SettingsDep) -> JobDetail:
    """Queued jobs are cancelled at once; a running job's worker stops within one batch."""
    return _public(service.cancel(session, job), settings)


def _public(job: J, settings: Settings) -> J:
    """The job with no absolute server path in its error (app.jobs.paths)."""
    return job.model_copy(update={"error": public_error(job.error, settings)}) if job.error else job
