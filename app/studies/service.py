"""Creating, listing, cancelling and deleting a team's studies (docs/design.md, "Studies").

A study saves its models as the team's architectures, reusing one the team already has with the
same spec identity (`spec_hash`), and queues one training job per (model, rate, seed), rate- and
seed-major, so that every model has a first result early. It commits its rows and jobs in one
unit of work before any message is sent (docs/design.md, "How a job flows").
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.arch.analysis import Analysis
from app.architectures.models import Architecture
from app.architectures.service import referenced_architecture
from app.db import commit, utcnow
from app.exceptions import Conflict, Invalid, NotFound, field_name
from app.jobs import lifecycle
from app.jobs.models import Job
from app.jobs.params import DEFAULT_EPOCHS, TrainParams
from app.jobs.service import send_all, training_params
from app.jobs.status import ACTIVE, JobStatus
from app.pagination import Page, PageParams, paginate
from app.settings import Settings
from app.studies.models import Study, StudyModel, StudyRun
from app.studies.results import detail, progress_of, status_of
from app.studies.schemas import StudyCreate, StudyOut, StudySummary
from app.studies.sources import Wanted, wanted
from app.teams import quota
from app.teams.models import Team


def own_study(session: Session, team: Team, study_id: int) -> Study:
    """Another team's study looks absent (404), like a job."""
    study = session.get(Study, study_id)
    if study is None or study.team_id != team.id:
        raise NotFound(f"no study {study_id} in your team", "study_id")
    return study


def protocol_of(body: StudyCreate) -> dict[str, Any]:
    """The study's protocol: TrainParams without the seed, epochs defaulted; validated (strict)."""
    given = dict(body.protocol or {})
    if "seed" in given:
        raise Invalid("a study's seeds are given by `seeds`, not in the protocol", "protocol.seed")
    if body.lr_sweep is not None and "lr" in given:
        raise Invalid("give the learning rate as protocol.lr or as lr_sweep, not both", "lr_sweep")
    if "epochs" not in given and "time_budget_s" not in given:
        given["epochs"] = DEFAULT_EPOCHS
    try:
        params = TrainParams.model_validate(given)
    except ValidationError as error:
        first = error.errors()[0]
        raise Invalid(
            str(first["msg"]).removeprefix("Value error, "), field_name(("protocol", *first["loc"]))
        ) from None
    return params.model_dump(mode="json", exclude={"seed"})


def create(session: Session, settings: Settings, team: Team, body: StudyCreate) -> StudyOut:
    models = wanted(body.models, settings)
    protocol = protocol_of(body)
    seeds = list(dict.fromkeys(body.seeds))
    rates = list(dict.fromkeys(body.lr_sweep)) if body.lr_sweep else [protocol["lr"]]
    total = len(models) * len(seeds) * len(rates)
    if total > settings.max_study_jobs:
        raise Invalid(
            f"{len(models)} models x {len(seeds)} seeds x {len(rates)} rates = {total:,} jobs, over this "
            f"server's limit of {settings.max_study_jobs:,} per study",
            "models",
        )
    architectures = _architectures(session, settings, team, models)
    # a study may queue its jobs on top of the team's queued-job quota, once (docs/design.md, "Studies")
    quota.check(
        session,
        team,
        select(func.count()).where(Job.team_id == team.id, Job.status == JobStatus.queued),
        settings.max_queued_jobs_per_team + settings.max_study_jobs,
        "queued jobs",
        adding=total,
        field="models",
    )
    study = Study(team_id=team.id, name=body.name, source=_source(body), protocol=protocol, seeds=seeds,
                  lr_sweep=rates if body.lr_sweep else None)  # fmt: skip
    session.add(study)
    session.flush()
    rows = []
    for position, (model, architecture) in enumerate(zip(models, architectures, strict=True)):
        rows.append(StudyModel(study_id=study.id, position=position, name=model.name,
                               architecture_id=architecture.id))  # fmt: skip
    session.add_all(rows)
    session.flush()
    planned: list[tuple[StudyModel, float, int, Job]] = []
    queue = body.queue or settings.default_queue
    for lr in rates:
        for seed in seeds:
            for row, architecture in zip(rows, architectures, strict=True):
                params = _checked(session, settings, team, architecture, {**protocol, "lr": lr}, seed)
                job = Job(team_id=team.id, architecture_id=architecture.id, kind="train", queue=queue,
                          params=params.model_dump(mode="json"), protocol=params.protocol())  # fmt: skip
                planned.append((row, lr, seed, job))
    jobs = [job for *_, job in planned]
    session.add_all(jobs)
    session.flush()
    session.add_all(StudyRun(study_id=study.id, model_id=row.id, job_id=job.id, lr=lr, seed=seed)
                    for row, lr, seed, job in planned)  # fmt: skip
    commit(session, Conflict("an architecture of this study was deleted meanwhile", "models"))
    send_all(session, settings, jobs)
    return detail(session, study)


def _checked(
    session: Session,
    settings: Settings,
    team: Team,
    architecture: Architecture,
    protocol: dict[str, Any],
    seed: int,
) -> TrainParams:
    """The job's parameters, through the jobs' own checks and caps (named under `protocol`)."""
    try:
        _, (params,) = training_params(session, settings, team, architecture.id, protocol, [seed])
    except Invalid as error:
        field = error.field or ""
        if field.startswith("params."):
            field = "protocol." + field.removeprefix("params.")
        raise Invalid(f"{architecture.name}: {error.message}", field) from None
    return params


def _source(body: StudyCreate) -> dict[str, Any]:
    """How the models were asked for: the figure or the base design as sent, or how many were listed."""
    if isinstance(body.models, list):
        return {"models": len(body.models)}
    return body.models.model_dump(mode="json", exclude_none=True)


def _architectures(
    session: Session, settings: Settings, team: Team, models: list[Wanted]
) -> list[Architecture]:
    """Each model's architecture: the one named by id (the team's own, or its copy of a published
    one), else the team's first with the same spec_hash, else a new one (counted in the quota)."""
    out: list[Architecture | None] = []
    new: list[tuple[int, Wanted, Analysis]] = []
    by_hash: dict[str, Architecture] = {}
    for i, model in enumerate(models):
        analysis = model.analysis
        if model.architecture_id is not None:
            found = referenced_architecture(
                session, team, model.architecture_id, f"{model.field}.architecture_id"
            )
            if found.team_id == team.id:
                out.append(found)
                continue
            analysis = _analysis_of(found)
        assert analysis is not None  # a spec source, or a published architecture's spec
        mine = by_hash.get(analysis.spec_hash) or session.scalar(
            select(Architecture)
            .where(Architecture.team_id == team.id, Architecture.spec_hash == analysis.spec_hash)
            .order_by(Architecture.id)
            .limit(1)
        )
        if mine is not None:
            by_hash[analysis.spec_hash] = mine
            out.append(mine)
            continue
        out.append(None)
        new.append((i, model, analysis))
    if new:
        counted = select(func.count()).where(Architecture.team_id == team.id)
        quota.check(session, team, counted, settings.max_architectures_per_team, "architectures",
                    adding=len({a.spec_hash for _, _, a in new}), field="models")  # fmt: skip
    for i, model, analysis in new:
        made = by_hash.get(analysis.spec_hash)
        if made is None:
            made = by_hash[analysis.spec_hash] = _save(session, team, model.name, analysis)
        out[i] = made
    return [row for row in out if row is not None]


def _analysis_of(row: Architecture) -> Analysis:
    from app.arch.analysis import analyse
    from app.arch.spec import Spec

    return analyse(Spec.model_validate(row.spec))


def _save(session: Session, team: Team, name: str, analysis: Analysis) -> Architecture:
    """A new architecture under the model's name, or under "name (n)" if the team has that name."""
    taken = set(session.scalars(select(Architecture.name).where(Architecture.team_id == team.id,
                                                                Architecture.name.startswith(name))))  # fmt: skip
    chosen, n = name, 2
    while chosen in taken:
        chosen, n = f"{name} ({n})"[:100], n + 1
    row = Architecture(team_id=team.id, name=chosen, spec={**analysis.spec.model_dump(mode="json"), "name": chosen},
                       notation=analysis.notation, conv_macs=analysis.conv_macs, spec_hash=analysis.spec_hash,
                       published=False)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def page(session: Session, team: Team, params: PageParams) -> Page[StudySummary]:
    """The team's studies, newest first."""
    rows, total = paginate(
        session, select(Study).where(Study.team_id == team.id).order_by(Study.id.desc()), params
    )
    items = []
    for (study,) in rows:
        progress = progress_of(session, study)
        models = session.scalar(select(func.count()).where(StudyModel.study_id == study.id)) or 0
        items.append(StudySummary(id=study.id, name=study.name, status=status_of(study, progress),
                                  progress=progress, models=models, created_at=study.created_at))  # fmt: skip
    return params.envelope(items, total)


def _active_jobs(session: Session, study: Study) -> list[Job]:
    return list(
        session.scalars(
            select(Job).join(StudyRun, StudyRun.job_id == Job.id)
            .where(StudyRun.study_id == study.id, Job.status.in_(ACTIVE))
            .order_by(Job.id)
        )
    )  # fmt: skip


def cancel(session: Session, study: Study) -> StudyOut:
    """Cancel every job of the study still queued or running (each transition commits itself)."""
    if study.cancelled_at is None:
        study.cancelled_at = utcnow()
        session.commit()
    for job in _active_jobs(session, study):
        lifecycle.request_cancel(session, job)
    return detail(session, study)


def delete(session: Session, study: Study) -> None:
    """Cancel what still runs, then forget the study; its jobs and results stay the team's."""
    for job in _active_jobs(session, study):
        lifecycle.request_cancel(session, job)
    session.delete(study)  # its models and runs go with it (ON DELETE CASCADE)
    session.commit()
