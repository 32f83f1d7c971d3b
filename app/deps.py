"""Request-scoped dependencies every domain shares: settings, a database session, the page asked
for. The calling team is `app.teams.deps`; a domain's own resources are in its `deps.py`
(docs/design.md, "Layers and imports"), so this module imports no domain.

The session is only closed here, never committed: services commit their own unit of work
(docs/design.md, "Decisions"); whatever a failed request left uncommitted is rolled back on close.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from app.db import session_factory
from app.pagination import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE, PageParams
from app.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request, admitted by `app.state.database_slots` (`db_pool_size` at a time,
    the pool's size): the others wait here, in the event loop, holding neither a thread nor a
    connection. A request keeps its connection across the threads its dependencies and endpoint
    run in, so without this more requests than connections deadlock on the pool (docs/design.md,
    "Serving").

    The session is closed on a thread of its own limiter, never one of the endpoints': a request
    that failed while holding a lock (app.teams.quota) releases it on close, and the endpoints'
    threads may all be waiting for that lock."""
    settings: Settings = request.app.state.settings
    async with request.app.state.database_slots:
        session = session_factory(settings.database_url, settings.db_pool_size, settings.db_pool_timeout_s)()
        try:
            yield session
        finally:
            with anyio.CancelScope(shield=True):  # a client that left must not leak the connection
                await anyio.to_thread.run_sync(session.close, limiter=request.app.state.database_closers)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def page_params(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE,
) -> PageParams:
    return PageParams(page, per_page)


PageDep = Annotated[PageParams, Depends(page_params)]
