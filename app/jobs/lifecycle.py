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

from sqlalchemy import ColumnElement, CursorResult, Executable, or_, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.jobs.models import Job, Metric, Result
from app.jobs.status import ACTIVE, JobStatus

# What a final error says when the last attempt's process ended without anyone recording why.
NO_CAUSE = "the worker process ended without recording a cause"


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
            error=f"gave up after {job.attempts} attempts; last: {job.error or NO_CAUSE}",
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


def succeed(session: Session, job: Job, worker: str, device: str | None) -> bool:
    """Mark the job succeeded, uncommitted, if `worker` still holds it: the caller adds what the
    job made (a result, a device profile) and commits both together."""
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job.id, Job.status == JobStatus.running, Job.worker == worker)
        # the device is the job's as well as its result's: the job list shows it (it read "-" before)
        .values(
            status=JobStatus.succeeded,
            progress=1.0,
            finished_at=utcnow(),
            error=None,
            device=device or job.device,
        ),
    )
    return changed == 1


def complete(session: Session, job_id: int, worker: str, result: dict[str, Any]) -> bool:
    """Succeed the job and store its one result, if `worker` still holds it."""
    job = session.get(Job, job_id)
    if job is None:
        return False
    if not succeed(session, job, worker, result.get("device")):
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
        if job.error:  # a cause recorded by the dying worker's parent (record_death) or a note
            silent += f" ({job.error})"
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


def unsent(session: Session, resend_after_s: float | None = None, limit: int = 100) -> list[Job]:
    """Queued jobs not yet handed to the broker (it was down, or they were re-queued) and, with
    `resend_after_s`, jobs sent that long ago and still unclaimed: a broker that lost its data
    (restarted without its append-only file, failed over, flushed) lost their messages, and
    nothing else would ever send them again. A duplicate is harmless: the claim is conditional
    (docs/design.md, "Job lifecycle")."""
    unsent_or_stale: ColumnElement[bool] = Job.enqueued_at.is_(None)
    if resend_after_s is not None:
        cutoff = utcnow() - timedelta(seconds=resend_after_s)
        unsent_or_stale = or_(unsent_or_stale, Job.enqueued_at < cutoff)
    return list(
        session.scalars(
            select(Job).where(Job.status == JobStatus.queued, unsent_or_stale).order_by(Job.id).limit(limit)
        )
    )


def mark_sent(session: Session, job_id: int) -> None:
    session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.queued).values(enqueued_at=utcnow())
    )
    session.commit()


def requeue(session: Session, job_id: int, worker: str, reason: str) -> bool:
    """Put a job this worker holds back in the queue (unsent: the reconciler sends it) after a
    transient fault of the worker's own, such as a checkpoint it could not write. The attempt
    stays counted, so a fault that never clears ends at ISOCOST_MAX_ATTEMPTS with its reason."""
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.running, Job.worker == worker)
        .values(status=JobStatus.queued, worker=None, enqueued_at=None, error=f"re-queued: {reason}"[:4000]),
    )
    session.commit()
    return changed == 1


def note(session: Session, job_id: int, worker: str, text: str) -> bool:
    """Record what happened to a running job (a checkpoint discarded, say) where its team reads
    it: the job's `error` field, which holds notes until the job finishes."""
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.running, Job.worker == worker)
        .values(error=text[:4000]),
    )
    session.commit()
    return changed == 1


def record_death(session: Session, job_id: int, worker: str, cause: str) -> bool:
    """The worker node saw the process running its job die (killed, crashed): keep the cause,
    so the next claim, the reconciler and a final "gave up" name it."""
    return note(session, job_id, worker, cause)


def refund_attempt(session: Session, job_id: int) -> bool:
    """Give back the attempt of a worker that was cut off from the database, not dead: the
    reconciler could not tell the two apart and re-queued its job (docs/design.md, "Job
    lifecycle"). Only for a job still active; one that finished keeps its count."""
    changed = _changed(
        session,
        update(Job)
        .where(Job.id == job_id, Job.status.in_(ACTIVE), Job.attempts > 0)
        .values(attempts=Job.attempts - 1),
    )
    session.commit()
    return changed == 1


def active_ids(session: Session, ids: set[int]) -> set[int]:
    """Which of `ids` are jobs still queued or running (a worker's checkpoint sweep keeps those)."""
    return set(session.scalars(select(Job.id).where(Job.id.in_(ids), Job.status.in_(ACTIVE))))
