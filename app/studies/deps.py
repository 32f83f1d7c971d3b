"""The study named in the path, if it is the calling team's (another team's study looks absent)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import SessionDep
from app.fields import IdPath
from app.studies import service
from app.studies.models import Study
from app.teams.deps import TeamDep


def own_study(study_id: IdPath, team: TeamDep, session: SessionDep) -> Study:
    return service.own_study(session, team, study_id)


OwnStudy = Annotated[Study, Depends(own_study)]
