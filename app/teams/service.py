"""Creating teams and issuing, listing and revoking their tokens, for the API.

The building blocks (a team with its first token, a token) are in app.teams.auth and only flush,
so `isocost team create` and `isocost serve` can use them inside their own transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import commit, utcnow
from app.exceptions import Conflict, NotFound
from app.teams.auth import create_team, issue_token, team_name_taken
from app.teams.models import Team, Token
from app.teams.schemas import TeamCreated, TeamOut, TokenCreated, TokenOut


def register(session: Session, name: str) -> TeamCreated:
    """A new team and its first token, shown only in this answer."""
    team, token = create_team(session, name)
    commit(session, team_name_taken(name))  # a concurrent request took the name after our check
    return TeamCreated.model_validate({**TeamOut.model_validate(team).model_dump(), "token": token})


def tokens(session: Session, team: Team) -> list[TokenOut]:
    rows = session.scalars(select(Token).where(Token.team_id == team.id).order_by(Token.id))
    return [TokenOut.model_validate(row) for row in rows]


def new_token(session: Session, team: Team, label: str) -> TokenCreated:
    row, token = issue_token(session, team, label)
    session.commit()
    return TokenCreated.model_validate({**TokenOut.model_validate(row).model_dump(), "token": token})


def revoke(session: Session, team: Team, token_id: int) -> None:
    """Revoking a revoked token is a no-op. The team's last working token is refused: no HTTP
    call could issue a new one to a team locked out."""
    row = session.get(Token, token_id)
    if row is None or row.team_id != team.id:
        raise NotFound(f"no token {token_id} in your team", "token_id")
    if row.revoked_at is not None:
        return
    others = session.scalar(
        select(func.count()).where(Token.team_id == team.id, Token.revoked_at.is_(None), Token.id != token_id)
    )
    if not others:
        raise Conflict("this is your team's last working token: create another one first", "token_id")
    row.revoked_at = utcnow()
    session.commit()
