"""Submitting, listing, reading and cancelling jobs on behalf of a team."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row, Select, case, func, select
from sqlalchemy.orm import Session, aliased

from app.arch.spec import Spec
from app.architectures.models import Architecture
from app.architectures.service import referenced_architecture
from app.db import utcnow
from app.exceptions import Conflict, Forbidden, Invalid, NotFound, field_name
from app.jobs import footprint, lifecycle
from app.jobs.broker import send
from app.jobs.models import Job, Metric, Result
from app.jobs.params import BenchmarkParams, CalibrateParams, TrainParams
from app.jobs.schemas import JobDetail, JobOut, JobRequest, ParamsModel, Submitted
from app.jobs.status import FINISHED, JobStatus
from app.pagination import Page, PageParams, paginate
from app.settings import Settings
from app.teams import quota
from app.teams.models import Team

log = logging.getLogger("isocost.jobs")


def _params(
    body: JobRequest, settings: Settings, architecture: Architecture | None
) -> list[TrainParams | BenchmarkParams | CalibrateParams]:
    """Validated params, one per seed for training, within the server's caps."""
    try:
        params = ParamsModel[body.kind].model_validate(body.params)
    except ValidationError as error:
        first = error.errors()[0]
        field = field_name(("params", *first["loc"]))
        raise Invalid(str(first["msg"]).removeprefix("Value error, "), field) from None
    if body.seeds is not None and body.kind != "train":
        raise Invalid("seeds apply to training jobs only", "seeds")
    if isinstance(params, CalibrateParams) or architecture is None:
        return [params]  # a calibration's grid is the server's own (worker.calibrate)
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
            raise Invalid(f"{value:,} is over this server's limit of {cap:,}", field)
    footprint.check(params, Spec.model_validate(architecture.spec), settings)  # parameters, activations
    if isinstance(params, TrainParams):
        seeds = body.seeds or [params.seed]
        return [params.model_copy(update={"seed": seed}) for seed in dict.fromkeys(seeds)]
    return [params]


def _architecture(session: Session, team: Team, body: JobRequest) -> Architecture | None:
    """The team's architecture the job runs on; None for a calibration, which has none."""
    if body.kind == "calibrate":
        if body.architecture_id is not None:
            raise Invalid(
                "a calibration times the worker's device, not an architecture: leave it out",
                "architecture_id",
            )
        return None
    if body.architecture_id is None:
        raise Invalid(
            f"Field required: a {body.kind} job runs on one of your architectures", "architecture_id"
        )
    architecture = referenced_architecture(session, team, body.architecture_id, "architecture_id")
    if architecture.team_id != team.id:
        raise Forbidden(
            "jobs run on your own architectures: save a copy of this one first", "architecture_id"
        )
    return architecture


def submit(session: Session, settings: Settings, team: Team, body: JobRequest) -> Submitted:
    """Commit the jobs first, then hand them to the broker (docs/design.md, "How a job flows"):
    a worker must find the row it is sent. If the broker is down they stay queued and unsent,
    and the reconciler sends them when it is back."""
    architecture = _architecture(session, team, body)
    all_params = _params(body, settings, architecture)
    # Counted under the team's lock, held until the commit below (docs/design.md, "Quotas").
    quota.check(
        session,
        team,
        select(func.count()).where(Job.team_id == team.id, Job.status == JobStatus.queued),
        settings.max_queued_jobs_per_team,
        "queued jobs",
        adding=len(all_params),
        field="seeds",
    )
    queue = body.queue or settings.default_queue
    jobs = [
        Job(
            team_id=team.id,
            architecture_id=architecture.id if architecture else None,
            kind=body.kind,
            queue=queue,
            params=params.model_dump(mode="json"),
            protocol=params.protocol(),
        )
        for params in all_params
    ]
    session.add_all(jobs)
    session.commit()
    send_all(session, settings, jobs)
    ids = [job.id for job in jobs]
    rows = session.execute(select_out().where(Job.id.in_(ids)).order_by(Job.id)).all()
    return Submitted(jobs=[_out(row) for row in rows])


def send_all(session: Session, settings: Settings, jobs: list[Job]) -> None:
    """Hand committed jobs to the broker in order, stamping each one sent; from the first failure
    on they stay queued and unsent for the reconciler. Also used by app.studies."""
    for job in jobs:
        try:
            send(settings, job.id, job.queue)
        except Exception as error:
            log.warning("broker unreachable; job %s stays queued until it is back: %s", job.id, error)
            break
        lifecycle.mark_sent(session, job.id)


def training_params(
    session: Session,
    settings: Settings,
    team: Team,
    architecture_id: int,
    params: dict[str, Any],
    seeds: list[int],
) -> tuple[Architecture, list[TrainParams]]:
    """What `submit` would run for a training request, validated and within the server's caps
    (one per seed), without submitting it: app.studies queues many at once."""
    body = JobRequest(architecture_id=architecture_id, kind="train", params=params, seeds=seeds)
    architecture = _architecture(session, team, body)
    assert architecture is not None  # a training job always has one
    return architecture, [p for p in _params(body, settings, architecture) if isinstance(p, TrainParams)]


def own_job(session: Session, team: Team, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.team_id != team.id:
        raise NotFound(f"no job {job_id} in your team", "job_id")
    return job


def select_out() -> Select[Any]:
    """Every column JobOut reads: the job's own, its architecture's name and whether its result
    learned (None until it has one)."""
    return (
        select(
            *Job.__table__.columns,
            Architecture.name.label("architecture_name"),
            Result.learned,
            _queue_position(),
        )
        .outerjoin(Architecture, Architecture.id == Job.architecture_id)  # none for a calibration
        .outerjoin(Result, Result.job_id == Job.id)
    )


def _queue_position() -> Any:
    """A queued job's place in its queue: 1 + the jobs of any team queued on the same queue before
    it (a queue's workers take its jobs in order: docs/design.md, "Celery for long jobs")."""
    ahead = aliased(Job)
    place = (
        select(func.count())
        .where(ahead.status == JobStatus.queued, ahead.queue == Job.queue, ahead.id <= Job.id)
        .scalar_subquery()
    )
    return case((Job.status == JobStatus.queued, place), else_=None).label("queue_position")


def _out(row: Row[Any], model: type[JobOut] = JobOut, **extra: Any) -> Any:
    """A row of `select_out` as `model`, with the estimated time left of a running job: its wall
    time so far scaled by the progress still to make (progress is written within epochs too, at
    most every ISOCOST_PROGRESS_INTERVAL_S, so the estimate moves between epochs)."""
    values = row._mapping
    eta = None
    started, progress = values["started_at"], values["progress"] or 0.0
    if values["status"] == JobStatus.running and started is not None and 0 < progress < 1:
        eta = max(0.0, (utcnow() - started).total_seconds()) * (1 - progress) / progress
    return model.model_validate({**values, **extra, "eta_s": eta})


def _out_row(session: Session, job_id: int) -> Row[Any]:
    return session.execute(select_out().where(Job.id == job_id)).one()


def detail(session: Session, job: Job) -> JobDetail:
    """The job as its team sees it, with its metrics so far and its result once there is one."""
    # The job row first: a worker commits `succeeded` and the result together, so a status read
    # before the result can never be `succeeded` without it (read the other way round, it can).
    row = _out_row(session, job.id)
    metrics = session.scalars(select(Metric).where(Metric.job_id == job.id).order_by(Metric.epoch)).all()
    result = session.scalar(select(Result).where(Result.job_id == job.id))
    return _out(row, JobDetail, metrics=metrics, result=result)


def page(
    session: Session,
    team: Team,
    status: JobStatus | None,
    kind: str | None,
    architecture_id: int | None,
    params: PageParams,
) -> Page[JobOut]:
    """The team's jobs, newest first, filtered by whichever of the filters are given."""
    conditions = [Job.team_id == team.id]
    if status:
        conditions.append(Job.status == status)
    if kind:
        conditions.append(Job.kind == kind)
    if architecture_id is not None:
        conditions.append(Job.architecture_id == architecture_id)
    rows, total = paginate(session, select_out().where(*conditions).order_by(Job.id.desc()), params)
    return params.envelope([_out(row) for row in rows], total)


def cancel(session: Session, job: Job) -> JobDetail:
    """`job` is the team's own (app.jobs.deps.OwnJob). The transition commits itself (lifecycle)."""
    if JobStatus(job.status) in FINISHED:
        raise Conflict(f"job {job.id} is already {job.status}", "job_id")
    return detail(session, lifecycle.request_cancel(session, job))
