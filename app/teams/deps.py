"""Who is calling: the team of the bearer token, or the admin."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.deps import SessionDep, SettingsDep
from app.teams.auth import authenticate, check_admin
from app.teams.models import Team


def current_team(request: Request, session: SessionDep) -> Team:
    return authenticate(session, request.headers.get("authorization"))


def optional_team(request: Request, session: SessionDep) -> Team | None:
    """The calling team when a token is sent (a bad one is still a 401), None without one: for
    what is public, such as the weights of a published architecture's jobs."""
    header = request.headers.get("authorization")
    return authenticate(session, header) if header else None


def require_admin(request: Request, settings: SettingsDep) -> None:
    check_admin(settings, request.headers.get("authorization"))


TeamDep = Annotated[Team, Depends(current_team)]
AdminDep = Annotated[None, Depends(require_admin)]
OptionalTeamDep = Annotated[Team | None, Depends(optional_team)]
