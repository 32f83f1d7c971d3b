"""A team's saved architectures: private until published, read-only to other teams once published."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.architectures import service
from app.architectures.schemas import (
    ArchitectureCreate,
    ArchitectureCreated,
    ArchitectureOut,
    ArchitecturePage,
    ArchitectureUpdate,
    Scope,
)
from app.deps import SessionDep, TeamDep
from app.fields import IdPath, Printable

router = APIRouter(prefix="/architectures", tags=["architectures"])


@router.post("", status_code=201, response_model=ArchitectureCreated)
def create(body: ArchitectureCreate, team: TeamDep, session: SessionDep) -> ArchitectureCreated:
    """Save a spec under a name unique in your team. Its cost is computed here; `duplicates`
    lists your architectures with the same spec (ignoring names), which is allowed."""
    return service.create(session, team, body)


@router.get("", response_model=ArchitecturePage)
def list_architectures(
    team: TeamDep,
    session: SessionDep,
    q: Annotated[
        str | None, Query(max_length=200, description="substring of the name or notation"), Printable
    ] = None,
    scope: Annotated[
        Scope, Query(description="team: yours; public: everyone's published plus yours")
    ] = "team",
    page: Annotated[int, Query(ge=1, le=10**6)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ArchitecturePage:
    items, total = service.page(session, team, q, scope, page, per_page)
    return ArchitecturePage(items=items, total=total, page=page, per_page=per_page)


@router.get("/{architecture_id}", response_model=ArchitectureOut)
def get_architecture(architecture_id: IdPath, team: TeamDep, session: SessionDep) -> ArchitectureOut:
    """Yours, or another team's published one; anything else is a 404."""
    return service.describe(session, team, service.visible_architecture(session, team, architecture_id))


@router.patch("/{architecture_id}", response_model=ArchitectureOut)
def update(
    architecture_id: IdPath, body: ArchitectureUpdate, team: TeamDep, session: SessionDep
) -> ArchitectureOut:
    """Rename or (un)publish. The spec itself never changes: results refer to it."""
    return service.update(session, team, architecture_id, body)


@router.delete("/{architecture_id}", status_code=204, response_class=Response)
def delete(architecture_id: IdPath, team: TeamDep, session: SessionDep) -> Response:
    """Only while no job has used it (409 otherwise)."""
    service.delete(session, team, architecture_id)
    return Response(status_code=204)
