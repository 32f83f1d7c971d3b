"""Teams (created by the admin) and their API tokens (shown once, stored as SHA-256)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.deps import AdminDep, SessionDep, TeamDep
from app.errors import ApiError
from app.fields import IdPath, Printable, Trimmed
from app.teams.auth import create_team, issue_token, revoke
from app.teams.models import Token

router = APIRouter(tags=["teams"])

TeamName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
Label = Annotated[str, Trimmed, Field(max_length=64), Printable]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "vision-lab"}]})

    name: TeamName = Field(description="1-64 characters: letters, digits, '-', '_', '.'")


class TeamOut(BaseModel):
    id: int
    name: str


class TeamCreated(TeamOut):
    token: str = Field(description="the team's first token; shown only now")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"label": "laptop"}]})

    label: Label


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="shown only now; only its SHA-256 is stored")


@router.post("/teams", status_code=201, response_model=TeamCreated)
def create(body: TeamCreate, _: AdminDep, session: SessionDep) -> TeamCreated:
    """Admin only (`Authorization: Bearer <ISOCOST_ADMIN_TOKEN>`). Returns the first token."""
    team, token = create_team(session, body.name)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request took the name between the check and the insert
        session.rollback()
        raise ApiError(409, f"a team named {body.name!r} exists already", "name") from None
    return TeamCreated(id=team.id, name=team.name, token=token)


@router.get("/teams/me", response_model=TeamOut)
def me(team: TeamDep) -> TeamOut:
    return TeamOut(id=team.id, name=team.name)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(team: TeamDep, session: SessionDep) -> list[TokenOut]:
    """Your team's tokens, revoked ones included; never the tokens themselves."""
    rows = session.scalars(select(Token).where(Token.team_id == team.id).order_by(Token.id))
    return [TokenOut.model_validate(row) for row in rows]


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(body: TokenCreate, team: TeamDep, session: SessionDep) -> TokenCreated:
    row, token = issue_token(session, team, body.label)
    session.commit()
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response)
def revoke_token(token_id: IdPath, team: TeamDep, session: SessionDep) -> Response:
    """Revoke a token; it stops working with the next request. Refused (409) for the team's last
    working token, which would lock the team out with no way back in over HTTP."""
    active = session.scalar(
        select(func.count()).where(Token.team_id == team.id, Token.revoked_at.is_(None), Token.id != token_id)
    )
    row = session.get(Token, token_id)
    if row is not None and row.team_id == team.id and row.revoked_at is None and active == 0:
        raise ApiError(409, "this is your team's last working token: create another one first", "token_id")
    revoke(session, team, token_id)
    session.commit()
    return Response(status_code=204)
