"""Request-scoped dependencies every domain shares: settings, a database session, the page asked
for. The calling team is `app.teams.deps`; a domain's own resources are in its `deps.py`
(docs/design.md, "Layers and imports"), so this module imports no domain.

The session is only closed here, never committed: services commit their own unit of work
(docs/design.md, "Decisions"); whatever a failed request left uncommitted is rolled back on close.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app.db import session_factory
from app.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, PageParams
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    session = session_factory(request.app.state.settings.database_url)()
    try:
        yield session
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE,
) -> PageParams:
    return PageParams(page, per_page)


PageDep = Annotated[PageParams, Depends(page_params)]
