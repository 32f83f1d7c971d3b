"""The job named in the path, if it is the calling team's (another team's job looks absent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import SessionDep
from app.fields import IdPath
from app.jobs import service
from app.jobs.models import Job
from app.teams.deps import TeamDep


def own_job(job_id: IdPath, team: TeamDep, session: SessionDep) -> Job:
    return service.own_job(session, team, job_id)


OwnJob = Annotated[Job, Depends(own_job)]
