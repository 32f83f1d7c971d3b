"""Creating teams and issuing, listing and revoking their tokens, for the API.

The building blocks (a team with its first token, a token) are in app.teams.auth and only flush,
so `isocost team create` and `isocost serve` can use them inside their own transaction.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.db import commit, utcnow
from app.exceptions import Conflict, NotFound
from app.settings import Settings
from app.teams import quota
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


def new_token(session: Session, settings: Settings, team: Team, label: str) -> TokenCreated:
    quota.check(session, team, _working(team), settings.max_tokens_per_team, "working tokens")
    row, token = issue_token(session, team, label)
    session.commit()
    return TokenCreated.model_validate({**TokenOut.model_validate(row).model_dump(), "token": token})


def _working(team: Team, but: int | None = None) -> Select[int]:
    """Count of the team's unrevoked tokens (other than `but`)."""
    query = select(func.count()).where(Token.team_id == team.id, Token.revoked_at.is_(None))
    return query if but is None else query.where(Token.id != but)


def revoke(session: Session, team: Team, token_id: int) -> None:
    """Revoking a revoked token is a no-op. The team's last working token is refused: no HTTP
    call could issue a new one to a team locked out. Under the team's lock (docs/design.md,
    "Quotas"): two requests revoking a team's last two tokens at once would each see the other's
    token still working."""
    quota.lock(session, team)
    # read after the lock, and afresh: authentication may have loaded this very token earlier
    row = session.get(Token, token_id, populate_existing=True)
    if row is None or row.team_id != team.id:
        raise NotFound(f"no token {token_id} in your team", "token_id")
    if row.revoked_at is not None:
        return
    if not session.scalar(_working(team, but=token_id)):
        raise Conflict("this is your team's last working token: create another one first", "token_id")
    row.revoked_at = utcnow()
    session.commit()
