"""A calibration job's outcome: its device profile, stored as the job succeeds (docs/design.md,
"Device profiles"). Jobs depend on profiles, not the other way round."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.jobs import lifecycle
from app.jobs.models import Job
from app.profiles.data import ProfileData
from app.profiles.service import new_row


def complete_calibration(session: Session, job_id: int, worker: str, data: ProfileData) -> bool:
    """Succeed the calibration job and store its profile in one commit, if `worker` still holds
    it (as `lifecycle.complete` stores a result: docs/design.md, "Job lifecycle")."""
    job = session.get(Job, job_id)
    if job is None or not lifecycle.succeed(session, job, worker, data.device):
        session.rollback()
        return False
    session.add(new_row(data, job.team_id, job_id))
    session.commit()
    return True
