from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.deps import SessionDep, SettingsDep, TeamDep
from app.fields import IdPath, IdQuery
from app.jobs import service
from app.jobs.schemas import JobDetail, JobPage, JobRequest, Submitted

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.post("", status_code=201, response_model=Submitted)
def submit(body: JobRequest, team: TeamDep, session: SessionDep, settings: SettingsDep) -> Submitted:
    """Train (one job per seed) or benchmark one of your architectures. The job is stored
    first and then queued; `GET /jobs/{id}` follows it."""
    jobs = service.submit(session, settings, team, body)
    return Submitted(jobs=[service.detail(session, job) for job in jobs])


@router.get("", response_model=JobPage)
def list_jobs(
    team: TeamDep,
    session: SessionDep,
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None,
    kind: Literal["train", "benchmark"] | None = None,
    architecture_id: IdQuery | None = None,
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JobPage:
    items, total = service.page(session, team, status, kind, architecture_id, page, per_page)
    return JobPage(items=items, total=total, page=page, per_page=per_page)


@router.get("/{job_id}", response_model=JobDetail)
def get_job(job_id: IdPath, team: TeamDep, session: SessionDep) -> JobDetail:
    """The job, its per-epoch metrics so far, and its result once it has one."""
    return service.detail(session, service.own_job(session, team, job_id))


@router.post("/{job_id}/cancel", response_model=JobDetail)
def cancel(job_id: IdPath, team: TeamDep, session: SessionDep) -> JobDetail:
    """Queued jobs are cancelled at once; a running job's worker stops within one batch."""
    return service.cancel(session, team, job_id)
