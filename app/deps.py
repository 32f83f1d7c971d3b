"""Request-scoped dependencies: settings, a database session, the calling team."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db import session_factory
from app.settings import Settings
from app.teams.auth import authenticate, check_admin
from app.teams.models import Team


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    session = session_factory(request.app.state.settings.database_url)()
    try:
        yield session
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def current_team(request: Request, session: SessionDep) -> Team:
    return authenticate(session, request.headers.get("authorization"))


def require_admin(request: Request, settings: SettingsDep) -> None:
    check_admin(settings, request.headers.get("authorization"))


TeamDep = Annotated[Team, Depends(current_team)]
AdminDep = Annotated[None, Depends(require_admin)]
