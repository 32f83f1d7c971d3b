"""The architecture named in the path, as the calling team may use it.

The path parameter is declared here, so a bad id is still a 422 naming `path.architecture_id`,
and a missing or hidden one a 404 (or 403) naming `architecture_id` (docs/api.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.architectures import service
from app.architectures.models import Architecture
from app.deps import SessionDep
from app.fields import IdPath
from app.teams.deps import TeamDep


def visible_architecture(architecture_id: IdPath, team: TeamDep, session: SessionDep) -> Architecture:
    return service.visible_architecture(session, team, architecture_id)


def own_architecture(architecture_id: IdPath, team: TeamDep, session: SessionDep) -> Architecture:
    return service.own_architecture(session, team, architecture_id)


VisibleArchitecture = Annotated[Architecture, Depends(visible_architecture)]
OwnArchitecture = Annotated[Architecture, Depends(own_architecture)]
