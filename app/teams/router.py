"""Teams (created by the admin) and their API tokens (shown once, stored as SHA-256)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import SessionDep, SettingsDep
from app.errors import responses
from app.fields import IdPath
from app.teams import service
from app.teams.deps import AdminDep, TeamDep
from app.teams.schemas import TeamCreate, TeamCreated, TeamOut, TokenCreate, TokenCreated, TokenOut

router = APIRouter(tags=["teams"])


@router.post(
    "/teams", status_code=201, response_model=TeamCreated, responses=responses(401, 403, 409, 413, 422)
)
def create(body: TeamCreate, _: AdminDep, session: SessionDep) -> TeamCreated:
    """Admin only (`Authorization: Bearer <ISOCOST_ADMIN_TOKEN>`). Returns the first token."""
    return service.register(session, body.name)


@router.get("/teams/me", response_model=TeamOut, responses=responses(401))
def me(team: TeamDep) -> TeamOut:
    return TeamOut.model_validate(team)


@router.get("/tokens", response_model=list[TokenOut], responses=responses(401))
def list_tokens(team: TeamDep, session: SessionDep) -> list[TokenOut]:
    """Your team's tokens, revoked ones included; never the tokens themselves."""
    return service.tokens(session, team)


@router.post("/tokens", status_code=201, response_model=TokenCreated, responses=responses(401, 413, 422, 429))
def create_token(
    body: TokenCreate, team: TeamDep, session: SessionDep, settings: SettingsDep
) -> TokenCreated:
    """429 when the team has `ISOCOST_MAX_TOKENS_PER_TEAM` working tokens: revoke one first."""
    return service.new_token(session, settings, team, body.label)


@router.delete(
    "/tokens/{token_id}", status_code=204, response_class=Response, responses=responses(401, 404, 409, 422)
)
def revoke_token(token_id: IdPath, team: TeamDep, session: SessionDep) -> Response:
    """Revoke a token; it stops working with the next request. Refused (409) for the team's last
    working token, which would lock the team out with no way back in over HTTP."""
    service.revoke(session, team, token_id)
    return Response(status_code=204)
