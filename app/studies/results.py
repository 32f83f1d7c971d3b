"""A study as its team reads it: progress from its jobs, statistics from their results, and one
comparison per relation edge among its models (docs/design.md, "Studies").

Only runs that learned enter the statistics (docs/design.md, "Training protocol"). With an
`lr_sweep`, each model is reported at the rate with its lowest mean validation top-1 error: the
comparison of architectures each at its own best rate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.arch.claims import claim_for
from app.arch.presets import preset_of, presets
from app.arch.relations import find_relations
from app.arch.spec import Conv, Spec, expand
from app.architectures.models import Architecture
from app.jobs.models import Job, Metric, Result
from app.jobs.params import TrainParams
from app.jobs.status import FINISHED, JobStatus
from app.studies import stats
from app.studies.models import Study, StudyModel, StudyRun
from app.studies.schemas import ClaimOut, ComparisonOut, ModelOut, Progress, RunOut, StudyOut, StudyStatus


def progress_of(session: Session, study: Study) -> Progress:
    rows = session.execute(
        select(Job.status, Job.progress)
        .join(StudyRun, StudyRun.job_id == Job.id)
        .where(StudyRun.study_id == study.id)
    ).all()
    return _progress([(status, progress) for status, progress in rows])


def _progress(jobs: list[tuple[str, float]]) -> Progress:
    counts: dict[str, int] = defaultdict(int)
    done = 0.0
    for status, progress in jobs:
        counts[status] += 1
        done += 1.0 if JobStatus(status) in FINISHED else (progress or 0.0)
    total = len(jobs)
    return Progress(
        **{s.value: counts[s] for s in JobStatus}, total=total, fraction=done / total if total else 0.0
    )


def status_of(study: Study, progress: Progress) -> StudyStatus:
    """queued (no job started) -> running -> succeeded (a job succeeded), failed (none did) or
    cancelled (the study was cancelled)."""
    if progress.queued + progress.running:
        return "running" if progress.running or progress.total > progress.queued else "queued"
    if study.cancelled_at is not None:
        return "cancelled"
    return "succeeded" if progress.succeeded else "failed"


@dataclass
class _Model:
    row: StudyModel
    architecture: Architecture
    spec: Spec
    runs: list[RunOut]


def detail(session: Session, study: Study) -> StudyOut:
    models = _models(session, study)
    runs = session.execute(
        select(StudyRun.model_id, StudyRun.lr, StudyRun.seed, Job.id, Job.status, Job.progress, Job.error,
               Result.top1_error, Result.learned, Result.train_seconds)
        .join(Job, Job.id == StudyRun.job_id)
        .outerjoin(Result, Result.job_id == Job.id)
        .where(StudyRun.study_id == study.id)
        .order_by(StudyRun.lr, StudyRun.seed, Job.id)
    ).all()  # fmt: skip
    by_id = {m.row.id: m for m in models}
    for r in runs:
        by_id[r.model_id].runs.append(
            RunOut(job_id=r.id, seed=r.seed, lr=r.lr, status=r.status, progress=r.progress, top1_error=r.top1_error,
                   learned=r.learned, train_seconds=r.train_seconds, error=r.error)
        )  # fmt: skip
    progress = _progress([(r.status, r.progress) for r in runs])
    outs = [_model_out(m, study) for m in models]
    errors = {out.name: _learned_errors(out) for out in outs}
    protocol = TrainParams.model_validate({**study.protocol, "seed": 0})
    return StudyOut(
        id=study.id, name=study.name, status=status_of(study, progress), progress=progress,
        protocol=study.protocol, protocol_text=_protocol_text(protocol, study.lr_sweep), seeds=study.seeds,
        lr_sweep=study.lr_sweep, source=study.source, created_at=study.created_at,
        cancelled_at=study.cancelled_at, models=outs, comparisons=_comparisons(models, outs, errors),
    )  # fmt: skip


def _protocol_text(protocol: TrainParams, sweep: list[float] | None) -> str:
    text = protocol.protocol()
    return text if not sweep else f"{text} (lr swept over {', '.join(f'{lr:g}' for lr in sweep)})"


def _models(session: Session, study: Study) -> list[_Model]:
    rows = session.execute(
        select(StudyModel, Architecture)
        .join(Architecture, Architecture.id == StudyModel.architecture_id)
        .where(StudyModel.study_id == study.id)
        .order_by(StudyModel.position)
    ).all()
    return [
        _Model(row, architecture, Spec.model_validate(architecture.spec), []) for row, architecture in rows
    ]


def _learned_errors(out: ModelOut) -> list[float]:
    return [r.top1_error for r in out.runs if r.lr == out.lr and r.learned and r.top1_error is not None]


def _best_rate(runs: list[RunOut]) -> float | None:
    """The rate whose runs that learned have the lowest mean validation error (ties: the lower
    rate); None when none has one yet."""
    by_rate: dict[float, list[float]] = defaultdict(list)
    for r in runs:
        if r.learned and r.top1_error is not None:
            by_rate[r.lr].append(r.top1_error)
    if not by_rate:
        return None
    return min(by_rate, key=lambda lr: (sum(by_rate[lr]) / len(by_rate[lr]), lr))


def _model_out(model: _Model, study: Study) -> ModelOut:
    lr = _best_rate(model.runs) if study.lr_sweep else (model.runs[0].lr if model.runs else None)
    finished = [r for r in model.runs if r.learned is not None]
    values = [r.top1_error for r in model.runs if r.lr == lr and r.learned and r.top1_error is not None]
    summary = stats.summary(values)
    preset = preset_of(model.spec)
    return ModelOut(
        name=model.row.name, architecture_id=model.architecture.id, notation=model.architecture.notation,
        conv_macs=model.architecture.conv_macs, depth=sum(isinstance(x, Conv) for x in expand(model.spec)),
        paper_model=presets()[preset].model if preset else None, lr=lr, runs=model.runs, n=summary.n,
        top1_error_mean=summary.mean, top1_error_std=summary.std, top1_error_ci95=summary.ci95,
        learned=any(r.learned for r in finished) if finished else None,
        did_not_learn=sum(1 for r in finished if r.learned is False),
    )  # fmt: skip


def _comparisons(
    models: list[_Model], outs: list[ModelOut], errors: dict[str, list[float]]
) -> list[ComparisonOut]:
    specs = {m.row.name: m.spec for m in models}
    costs = {m.row.name: m.architecture.conv_macs for m in models}
    letters = {out.name: out.paper_model for out in outs}
    comparisons = []
    for relation in find_relations(specs, conv_macs=costs):
        result = stats.compare(errors[relation.source], errors[relation.target])
        claim = claim_for(
            letters[relation.source], letters[relation.target], relation.figure, relation.factors
        )
        supported = (
            None if claim.expects is None or result.verdict is None else result.verdict == claim.expects
        )
        comparisons.append(
            ComparisonOut(
                source=relation.source, target=relation.target, figure=relation.figure, tradeoff=relation.tradeoff,
                change=relation.change, difference=result.difference, ci95=result.ci95, p_value=result.p_value,
                verdict=result.verdict, claim=ClaimOut(**claim.model_dump(), supported=supported),
            )
        )  # fmt: skip
    return comparisons


def flat_rows(study: StudyOut) -> list[dict[str, Any]]:
    """One row per run, for the CSV download: the model's columns beside each run's."""
    rows = []
    for model in study.models:
        for run in model.runs:
            rows.append({
                "study": study.name, "model": model.name, "architecture_id": model.architecture_id,
                "paper_model": model.paper_model, "conv_macs": model.conv_macs, "depth": model.depth,
                "job_id": run.job_id, "lr": run.lr, "seed": run.seed, "status": run.status,
                "top1_error": run.top1_error, "learned": run.learned, "train_seconds": run.train_seconds,
                "model_lr": model.lr, "model_top1_error_mean": model.top1_error_mean,
                "model_top1_error_std": model.top1_error_std,
                "model_ci95_low": model.top1_error_ci95[0] if model.top1_error_ci95 else None,
                "model_ci95_high": model.top1_error_ci95[1] if model.top1_error_ci95 else None,
            })  # fmt: skip
    return rows


def curves(session: Session, study: StudyOut) -> dict[str, list[list[tuple[int, float, float]]]]:
    """Each model's runs at its reported rate that learned or are still running (the runs its
    statistics are over): (epoch, training seconds, validation top-1 error) so far, by job."""
    wanted = {
        r.job_id: m.name for m in study.models for r in m.runs if r.lr == m.lr and r.learned is not False
    }
    out: dict[str, dict[int, list[tuple[int, float, float]]]] = {m.name: {} for m in study.models}
    rows = session.execute(
        select(Metric.job_id, Metric.epoch, Metric.elapsed_s, Metric.top1_error)
        .where(Metric.job_id.in_(list(wanted)), Metric.top1_error.is_not(None))
        .order_by(Metric.job_id, Metric.epoch)
    )
    for job_id, epoch, seconds, error in rows:
        if error is not None:  # filtered above; the column is nullable
            out[wanted[job_id]].setdefault(job_id, []).append((epoch, seconds or 0.0, error))
    return {name: list(runs.values()) for name, runs in out.items()}
