"""Team tokens: random, shown once, stored as SHA-256, checked in constant time.

`create_team` and `issue_token` only flush: the caller's unit of work commits (app.teams.service
for the API, `session_scope` for the CLI and `isocost serve`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exceptions import Conflict, Forbidden, Unauthenticated
from app.settings import Settings
from app.teams.models import Team, Token

TOKEN_PREFIX = "iso_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, team: Team, label: str) -> tuple[Token, str]:
    """A new token for `team`: 32 random bytes. Returns the row and the token, shown only now."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = Token(team_id=team.id, label=label, token_hash=hash_token(token), prefix=token[:12])
    session.add(row)
    session.flush()
    return row, token


def team_name_taken(name: str) -> Conflict:
    return Conflict(f"a team named {name!r} exists already", "name")


def create_team(session: Session, name: str) -> tuple[Team, str]:
    """A team and its first token (label "initial")."""
    if session.scalar(select(Team).where(Team.name == name)):
        raise team_name_taken(name)
    team = Team(name=name)
    session.add(team)
    session.flush()
    _, token = issue_token(session, team, "initial")
    return team, token


def _bearer(header: str | None) -> str:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated(
            "missing bearer token: send 'Authorization: Bearer <team token>'", "authorization"
        )
    return value.strip()


def authenticate(session: Session, header: str | None) -> Team:
    """The team of a live token, in one query (every authenticated request pays for it); a token
    whose team was deleted under us finds no row (tokens cascade with their team)."""
    digest = hash_token(_bearer(header))
    found = session.execute(
        select(Token.token_hash, Token.revoked_at, Team)
        .join(Team, Team.id == Token.team_id)
        .where(Token.token_hash == digest)
    ).first()
    # The lookup is by digest; compare_digest keeps the final check free of timing leaks too.
    if found is None or not hmac.compare_digest(found.token_hash, digest) or found.revoked_at is not None:
        raise Unauthenticated("invalid or revoked token", "authorization")
    team: Team = found.Team
    return team


def check_admin(settings: Settings, header: str | None) -> None:
    expected = settings.admin_token.get_secret_value() if settings.admin_token else None
    if not expected:
        raise Forbidden("no admin token is configured (set ISOCOST_ADMIN_TOKEN)", "authorization")
    if not hmac.compare_digest(_bearer(header).encode(), expected.encode()):
        raise Forbidden("not the admin token", "authorization")
