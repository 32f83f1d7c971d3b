"""A team's training and benchmark jobs: submitted here, run by workers, followed by polling."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from app.deps import PageDep, SessionDep, SettingsDep
from app.fields import IdQuery
from app.jobs import service
from app.jobs.deps import OwnJob
from app.jobs.schemas import JobDetail, JobOut, JobRequest, Submitted
from app.jobs.status import JobStatus
from app.pagination import Page
from app.teams.deps import TeamDep

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", status_code=201, response_model=Submitted)
def submit(body: JobRequest, team: TeamDep, session: SessionDep, settings: SettingsDep) -> Submitted:
    """Train (one job per seed) or benchmark one of your architectures. The job is stored
    first and then queued; `GET /jobs/{id}` follows it."""
    return service.submit(session, settings, team, body)


@router.get("", response_model=Page[JobOut])
def list_jobs(
    team: TeamDep,
    session: SessionDep,
    paging: PageDep,
    status: JobStatus | None = None,
    kind: Literal["train", "benchmark"] | None = None,
    architecture_id: IdQuery | None = None,
) -> Page[JobOut]:
    return service.page(session, team, status, kind, architecture_id, paging)


@router.get("/{job_id}", response_model=JobDetail)
def get_job(job: OwnJob, session: SessionDep) -> JobDetail:
    """The job, its per-epoch metrics so far, and its result once it has one."""
    return service.detail(session, job)


@router.post("/{job_id}/cancel", response_model=JobDetail)
def cancel(job: OwnJob, session: SessionDep) -> JobDetail:
    """Queued jobs are cancelled at once; a running job's worker stops within one batch."""
    return service.cancel(session, job)
