"""Submitting, listing, reading and cancelling jobs on behalf of a team."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.architectures.models import Architecture
from app.architectures.service import visible_architecture
from app.db import paginate
from app.errors import ApiError, field_name
from app.jobs import lifecycle
from app.jobs.broker import send
from app.jobs.models import Job, Metric, Result
from app.jobs.params import TrainParams
from app.jobs.schemas import JobDetail, JobOut, JobRequest, MetricOut, ParamsModel, ResultOut
from app.settings import Settings
from app.teams.models import Team

log = logging.getLogger("isocost.jobs")


def _params(body: JobRequest, settings: Settings, architecture: Architecture) -> list:
    """Validated params, one per seed for training, within the server's caps."""
    try:
        params = ParamsModel[body.kind].model_validate(body.params)
    except ValidationError as error:
        first = error.errors()[0]
        field = field_name(("params", *first["loc"]))
        raise ApiError(422, str(first["msg"]).removeprefix("Value error, "), field) from None
    if body.seeds is not None and body.kind != "train":
        raise ApiError(422, "seeds apply to training jobs only", "seeds")
    caps = [
        (getattr(params, "epochs", None), settings.max_epochs, "params.epochs"),
        (getattr(params, "time_budget_s", None), settings.max_time_budget_s, "params.time_budget_s"),
        (params.batch_size, settings.max_batch_size, "params.batch_size"),
        (architecture.spec["input"]["height"], settings.max_job_input_side, "architecture input height"),
        (architecture.spec["input"]["width"], settings.max_job_input_side, "architecture input width"),
        (architecture.conv_macs, settings.max_job_conv_macs, "architecture conv_macs"),
    ]
    for value, cap, field in caps:
        if value is not None and value > cap:
            raise ApiError(422, f"{value:,} is over this server's limit of {cap:,}", field)
    if isinstance(params, TrainParams):
        seeds = body.seeds or [params.seed]
        return [params.model_copy(update={"seed": seed}) for seed in dict.fromkeys(seeds)]
    return [params]


def submit(session: Session, settings: Settings, team: Team, body: JobRequest) -> list[Job]:
    """Write the jobs first, then hand them to the broker; if it is down they stay queued and
    unsent, and the reconciler sends them when it is back."""
    architecture = visible_architecture(session, team, body.architecture_id, status=422)
    if architecture.team_id != team.id:
        raise ApiError(
            403, "jobs run on your own architectures: save a copy of this one first", "architecture_id"
        )
    all_params = _params(body, settings, architecture)
    queued = session.scalar(select(func.count()).where(Job.team_id == team.id, Job.status == "queued"))
    if queued + len(all_params) > settings.max_queued_jobs_per_team:
        raise ApiError(
            429,
            f"your team has {queued} queued jobs; the limit is {settings.max_queued_jobs_per_team}",
            "seeds",
        )
    queue = body.queue or settings.default_queue
    jobs = [
        Job(
            team_id=team.id,
            architecture_id=architecture.id,
            kind=body.kind,
            queue=queue,
            params=params.model_dump(mode="json"),
            protocol=params.protocol(),
        )
        for params in all_params
    ]
    session.add_all(jobs)
    session.commit()
    for job in jobs:
        try:
            send(settings, job.id, job.queue)
        except Exception as error:
            log.warning("broker unreachable; job %s stays queued until it is back: %s", job.id, error)
            break
        lifecycle.mark_sent(session, job.id)
    for job in jobs:
        session.refresh(job)
    return jobs


def own_job(session: Session, team: Team, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.team_id != team.id:
        raise ApiError(404, f"no job {job_id} in your team", "job_id")
    return job


def to_out(job: Job, architecture_name: str) -> JobOut:
    columns = {key: getattr(job, key) for key in JobOut.model_fields if hasattr(Job, key)}
    seed = job.params.get("seed") if job.kind == "train" else None
    return JobOut(**columns, architecture_name=architecture_name, seed=seed)


def detail(session: Session, job: Job) -> JobDetail:
    name = session.scalar(select(Architecture.name).where(Architecture.id == job.architecture_id))
    metrics = session.scalars(select(Metric).where(Metric.job_id == job.id).order_by(Metric.epoch)).all()
    result = session.scalar(select(Result).where(Result.job_id == job.id))
    return JobDetail(
        **to_out(job, name).model_dump(),
        metrics=[MetricOut.model_validate(m) for m in metrics],
        result=ResultOut.model_validate(result) if result else None,
    )


def page(session: Session, team: Team, status: str | None, kind: str | None, architecture_id: int | None,
         page_number: int, per_page: int) -> tuple[list[JobOut], int]:  # fmt: skip
    conditions = [Job.team_id == team.id]
    if status:
        conditions.append(Job.status == status)
    if kind:
        conditions.append(Job.kind == kind)
    if architecture_id is not None:
        conditions.append(Job.architecture_id == architecture_id)
    query = (
        select(Job, Architecture.name)
        .join(Architecture, Architecture.id == Job.architecture_id)
        .where(*conditions)
        .order_by(Job.id.desc())
    )
    rows, total = paginate(session, query, page_number, per_page)
    return [to_out(job, name) for job, name in rows], total


def cancel(session: Session, team: Team, job_id: int) -> JobDetail:
    job = own_job(session, team, job_id)
    if job.status in ("succeeded", "failed", "cancelled"):
        raise ApiError(409, f"job {job_id} is already {job.status}", "job_id")
    return detail(session, lifecycle.request_cancel(session, job))
