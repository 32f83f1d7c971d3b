"""Training runs compared (docs/design.md, "Studies"): the team's training jobs, named or all of
one architecture, grouped by model and protocol (runs under different protocols are never
averaged together), with their validation curves for `app.figures.study.overlay_curves`."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.architectures.models import Architecture
from app.exceptions import Invalid
from app.figures.study import Curve
from app.jobs.models import Job, Metric, Result
from app.teams.models import Team


class ComparedJob(BaseModel):
    id: int
    architecture_id: int
    architecture_name: str
    protocol: str
    seed: int | None
    status: str
    top1_error: float | None
    learned: bool | None


class CompareFigure(BaseModel):
    figure: dict[str, object]
    jobs: list[ComparedJob]


def compared_jobs(
    session: Session, team: Team, job_ids: list[int] | None, architecture_id: int | None, limit: int
) -> list[ComparedJob]:
    """The team's training jobs asked for, oldest first; an id that is not one names its place."""
    query = (
        select(Job, Architecture.name, Result.top1_error, Result.learned)
        .join(Architecture, Architecture.id == Job.architecture_id)
        .outerjoin(Result, Result.job_id == Job.id)
        .where(Job.team_id == team.id, Job.kind == "train")
    )
    if job_ids is not None:
        rows = session.execute(query.where(Job.id.in_(job_ids))).all()
        found = {row[0].id for row in rows}
        for i, job_id in enumerate(job_ids):
            if job_id not in found:
                raise Invalid(f"no training job {job_id} in your team", f"job_ids[{i}]")
    else:
        rows = session.execute(
            query.where(Job.architecture_id == architecture_id).order_by(Job.id.desc()).limit(limit)
        ).all()
    out = [
        ComparedJob(id=job.id, architecture_id=job.architecture_id, architecture_name=name, protocol=job.protocol,
                    seed=job.params.get("seed"), status=job.status, top1_error=error, learned=learned)
        for job, name, error, learned in rows
    ]  # fmt: skip
    return sorted(out, key=lambda j: j.id)


def run_groups(session: Session, jobs: list[ComparedJob]) -> list[tuple[str, list[Curve]]]:
    """One group per (model, protocol), named by the model (and the protocol, when there are
    several), each with its runs' (epoch, training seconds, validation error)."""
    points: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    rows = session.execute(
        select(Metric.job_id, Metric.epoch, Metric.elapsed_s, Metric.top1_error)
        .where(Metric.job_id.in_([j.id for j in jobs]), Metric.top1_error.is_not(None))
        .order_by(Metric.job_id, Metric.epoch)
    )
    for job_id, epoch, seconds, error in rows:
        if error is not None:
            points[job_id].append((epoch, seconds or 0.0, error))
    several = len({j.protocol for j in jobs}) > 1
    groups: dict[str, list[Curve]] = {}
    for job in jobs:
        name = f"{job.architecture_name} ({job.protocol})" if several else job.architecture_name
        groups.setdefault(name, []).append(points.get(job.id, []))
    return list(groups.items())
