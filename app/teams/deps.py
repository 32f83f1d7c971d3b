"""Who is calling: the team of the bearer token, or the admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.deps import SessionDep, SettingsDep
from app.teams.auth import authenticate, check_admin
from app.teams.models import Team


def current_team(request: Request, session: SessionDep) -> Team:
    return authenticate(session, request.headers.get("authorization"))


def require_admin(request: Request, settings: SettingsDep) -> None:
    check_admin(settings, request.headers.get("authorization"))


TeamDep = Annotated[Team, Depends(current_team)]
AdminDep = Annotated[None, Depends(require_admin)]
