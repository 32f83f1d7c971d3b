"""Job state transitions, shared by the API, the reconciler and the workers (no web imports).

    queued -> running -> succeeded | failed | cancelled      (app.jobs.status; docs/design.md,
                                                               "Job lifecycle")

Each transition commits itself: workers and the reconciler call these outside any request, and
the API's services use them as their unit of work. Every transition is one conditional UPDATE (`... WHERE status = <expected>`), so two workers,
a worker and the reconciler, or two API replicas can race without corrupting a job: the loser
sees rowcount 0 and backs off. A worker only finishes a job it still holds (`worker = me`), so a
job re-queued behind a presumed-dead worker's back ends with exactly one result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.models import Job, Metric, Result
from app.jobs.status import JobStatus


def _changed(session: Session, statement: Executable) -> int:
    """How many rows a conditional UPDATE changed: 0 means another actor won the race."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


@dataclass
class Claim:
    claimed: bool
    reason: str  # why not, when not


def claim(session: Session, job_id: int, worker: str, max_attempts: int) -> Claim:
    """Take a queued job for `worker`. Also takes back a job this same worker node was running:
    with one task per node (concurrency 1), a redelivery to the node means its child died."""
    job = session.get(Job, job_id)
    if job is None:
        return Claim(False, "no such job")
    if job.status == JobStatus.queued and job.cancel_requested:
        _finish(session, job_id, JobStatus.queued, JobStatus.cancelled, error="cancelled before it started")
        return Claim(False, "cancelled")
    takeover = job.status == JobStatus.running and job.worker == worker
    if job.status != JobStatus.queued and not takeover:
        return Claim(False, f"job is {job.status}")
    if job.attempts >= max_attempts:
        _finish(
            session,
            job_id,
            job.status,
            JobStatus.failed,
            error=f"gave up after {job.attempts} attempts; last: {job.error}",
        )
        return Claim(False, "attempts exhausted")
    now = utcnow()
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == job.status, Job.attempts == job.attempts)
        .values(
            status=JobStatus.running,
            attempts=Job.attempts + 1,
            worker=worker,
            heartbeat_at=now,
            started_at=job.started_at or now,
            error=None,
        ),
    )
    session.commit()
    return Claim(changed == 1, "" if changed == 1 else "taken by another worker")


def heartbeat(
    session: Session, job_id: int, worker: str, progress: float | None = None, device: str | None = None
) -> bool:
    """Record that `worker` is alive on the job; False if the job is no longer this worker's."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = min(max(progress, 0.0), 1.0)
    if device is not None:
        values["device"] = device
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.running, Job.worker == worker)
        .values(**values),
    )
    session.commit()
    return changed == 1


def cancel_requested(session: Session, job_id: int) -> bool:
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def record_epoch(
    session: Session, job_id: int, worker: str, metrics: dict[str, Any], progress: float
) -> bool:
    """Write one epoch's metrics (replacing a row left by an earlier, interrupted attempt)."""
    if not heartbeat(session, job_id, worker, progress):
        return False
    existing = session.scalar(select(Metric).where(Metric.job_id == job_id, Metric.epoch == metrics["epoch"]))
    if existing is None:
        session.add(Metric(job_id=job_id, **metrics))
    else:
        for key, value in metrics.items():
            setattr(existing, key, value)
    session.commit()
    return True


def complete(session: Session, job_id: int, worker: str, result: dict[str, Any]) -> bool:
    """Succeed the job and store its one result, if `worker` still holds it."""
    job = session.get(Job, job_id)
    if job is None:
        return False
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.running, Job.worker == worker)
        .values(status=JobStatus.succeeded, progress=1.0, finished_at=utcnow(), error=None),
    )
    if changed != 1:
        session.rollback()
        return False
    session.add(Result(job_id=job_id, architecture_id=job.architecture_id, team_id=job.team_id, kind=job.kind,
                       protocol=job.protocol, **result))  # fmt: skip
    session.commit()
    return True


def fail(session: Session, job_id: int, worker: str, reason: str) -> bool:
    return _finish(session, job_id, JobStatus.running, JobStatus.failed, error=reason[:4000], worker=worker)


def mark_cancelled(session: Session, job_id: int, worker: str) -> bool:
    return _finish(
        session,
        job_id,
        JobStatus.running,
        JobStatus.cancelled,
        error="cancelled while running",
        worker=worker,
    )


def request_cancel(session: Session, job: Job) -> Job:
    """Queued: cancelled at once. Running: flagged; the worker stops within one batch."""
    if job.status == JobStatus.queued:
        _finish(session, job.id, JobStatus.queued, JobStatus.cancelled, error="cancelled before it started")
    elif job.status == JobStatus.running:
        session.execute(
            update(Job).where(Job.id == job.id, Job.status == JobStatus.running).values(cancel_requested=True)
        )
        session.commit()
    session.refresh(job)
    return job


def _finish(
    session: Session,
    job_id: int,
    expected: str,
    status: JobStatus,
    error: str | None,
    worker: str | None = None,
) -> bool:
    conditions = [Job.id == job_id, Job.status == expected]
    if worker is not None:
        conditions.append(Job.worker == worker)
    changed = _changed(
        session, update(Job).where(*conditions).values(status=status, finished_at=utcnow(), error=error)
    )
    session.commit()
    return changed == 1


def reconcile(session: Session, timeout_s: float, max_attempts: int) -> list[tuple[int, JobStatus]]:
    """Deal with running jobs whose worker stopped sending heartbeats: cancel them if asked,
    fail them once out of attempts, else put them back in the queue (unsent, so the caller
    sends them). Returns (job id, what happened) for each."""
    cutoff = utcnow() - timedelta(seconds=timeout_s)
    stale = session.scalars(
        select(Job).where(Job.status == JobStatus.running, Job.heartbeat_at < cutoff)
    ).all()
    actions: list[tuple[int, JobStatus]] = []
    for job in stale:
        silent = f"worker {job.worker} sent no heartbeat since {job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC"
        if job.cancel_requested:
            status, values = JobStatus.cancelled, {"error": f"cancelled; {silent}", "finished_at": utcnow()}
        elif job.attempts >= max_attempts:
            status, values = (
                JobStatus.failed,
                {"error": f"{silent}; gave up after {job.attempts} attempts", "finished_at": utcnow()},
            )
        else:
            status, values = (
                JobStatus.queued,
                {"error": f"re-queued: {silent}", "worker": None, "enqueued_at": None},
            )
        changed = _changed(
            session,
            update(Job)
            .where(Job.id == job.id, Job.status == JobStatus.running, Job.heartbeat_at < cutoff)
            .values(status=status, **values),
        )
        if changed == 1:
            actions.append((job.id, status))
    session.commit()
    return actions


def unsent(session: Session, limit: int = 100) -> list[Job]:
    """Queued jobs not yet handed to the broker (it was down, or they were re-queued)."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.status == JobStatus.queued, Job.enqueued_at.is_(None))
            .order_by(Job.id)
            .limit(limit)
        )
    )


def mark_sent(session: Session, job_id: int) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.queued).values(enqueued_at=utcnow())
    )
    session.commit()
