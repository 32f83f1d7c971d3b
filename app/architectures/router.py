"""A team's saved architectures: private until published, read-only to other teams once published."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.architectures import service
from app.architectures.deps import OwnArchitecture, VisibleArchitecture
from app.architectures.lineage import Lineage, lineage
from app.architectures.schemas import (
    ArchitectureCreate,
    ArchitectureCreated,
    ArchitectureOut,
    ArchitectureUpdate,
    Scope,
)
from app.deps import PageDep, SessionDep, SettingsDep
from app.errors import responses
from app.fields import Printable
from app.idempotency.deps import IdempotencyKeyHeader, idempotent
from app.pagination import Page
from app.teams.deps import TeamDep

router = APIRouter(prefix="/architectures", tags=["architectures"])


@router.post(
    "",
    status_code=201,
    response_model=ArchitectureCreated,
    responses=responses(401, 409, 413, 422, 429),
)
def create(
    body: ArchitectureCreate,
    team: TeamDep,
    session: SessionDep,
    settings: SettingsDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ArchitectureCreated | Response:
    """Save a spec under a name unique in your team. Its cost is computed here; `duplicates`
    lists your architectures with the same spec (ignoring names), which is allowed. 429 when the
    team has `ISOCOST_MAX_ARCHITECTURES_PER_TEAM` architectures. With an `Idempotency-Key`, a
    retry returns the first response and saves nothing more."""
    return idempotent(
        session, settings, team, idempotency_key, "POST /architectures", body, 201,
        lambda: service.create(session, settings, team, body),
    )  # fmt: skip


@router.get("", response_model=Page[ArchitectureOut], responses=responses(401, 422))
def list_architectures(
    team: TeamDep,
    session: SessionDep,
    paging: PageDep,
    q: Annotated[
        str | None, Query(max_length=200, description="substring of the name or notation"), Printable
    ] = None,
    scope: Annotated[
        Scope, Query(description="team: yours; public: everyone's published plus yours")
    ] = "team",
) -> Page[ArchitectureOut]:
    return service.page(session, team, q, scope, paging)


@router.get("/{architecture_id}", response_model=ArchitectureOut, responses=responses(401, 404, 422))
def get_architecture(
    architecture: VisibleArchitecture, team: TeamDep, session: SessionDep
) -> ArchitectureOut:
    """Yours, or another team's published one; anything else is a 404."""
    return service.describe(session, team, architecture)


@router.get("/{architecture_id}/lineage", response_model=Lineage, responses=responses(401, 404, 422))
def get_lineage(
    architecture: VisibleArchitecture, team: TeamDep, session: SessionDep, settings: SettingsDep
) -> Lineage:
    """Its family tree by `parent_id`: the oldest ancestor you can see and all its descendants
    you can see, oldest first (at most `ISOCOST_MAX_LINEAGE_NODES`)."""
    return lineage(session, team, architecture, settings.max_lineage_nodes)


@router.patch(
    "/{architecture_id}", response_model=ArchitectureOut, responses=responses(401, 403, 404, 409, 413, 422)
)
def update(
    architecture: OwnArchitecture, body: ArchitectureUpdate, team: TeamDep, session: SessionDep
) -> ArchitectureOut:
    """Rename or (un)publish. The spec itself never changes: results refer to it."""
    return service.update(session, team, architecture, body)


@router.delete(
    "/{architecture_id}",
    status_code=204,
    response_class=Response,
    responses=responses(401, 403, 404, 409, 422),
)
def delete(architecture: OwnArchitecture, session: SessionDep) -> Response:
    """Only while no job has used it (409 otherwise)."""
    service.delete(session, architecture)
    return Response(status_code=204)
