"""Team tokens: random, shown once, stored as SHA-256, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import ApiError
from app.settings import Settings
from app.teams.models import Team, Token

TOKEN_PREFIX = "iso_"
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, team: Team, label: str) -> tuple[Token, str]:
    """A new token for `team`: 32 random bytes. Returns the row and the token, shown only now."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = Token(team_id=team.id, label=label, token_hash=hash_token(token), prefix=token[:12])
    session.add(row)
    session.flush()
    return row, token


def create_team(session: Session, name: str) -> tuple[Team, str]:
    """A team and its first token (label "initial")."""
    if session.scalar(select(Team).where(Team.name == name)):
        raise ApiError(409, f"a team named {name!r} exists already", "name")
    team = Team(name=name)
    session.add(team)
    session.flush()
    _, token = issue_token(session, team, "initial")
    return team, token


def _bearer(header: str | None) -> str:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(
            401,
            "missing bearer token: send 'Authorization: Bearer <team token>'",
            "authorization",
            _CHALLENGE,
        )
    return value.strip()


def authenticate(session: Session, header: str | None) -> Team:
    digest = hash_token(_bearer(header))
    row = session.scalar(select(Token).where(Token.token_hash == digest))
    # The lookup is by digest; compare_digest keeps the final check free of timing leaks too.
    if row is None or not hmac.compare_digest(row.token_hash, digest) or row.revoked_at is not None:
        raise ApiError(401, "invalid or revoked token", "authorization", _CHALLENGE)
    return session.get(Team, row.team_id)


def check_admin(settings: Settings, header: str | None) -> None:
    expected = settings.admin_token.get_secret_value() if settings.admin_token else None
    if not expected:
        raise ApiError(403, "no admin token is configured (set ISOCOST_ADMIN_TOKEN)", "authorization")
    if not hmac.compare_digest(_bearer(header).encode(), expected.encode()):
        raise ApiError(403, "not the admin token", "authorization")


def revoke(session: Session, team: Team, token_id: int) -> None:
    row = session.get(Token, token_id)
    if row is None or row.team_id != team.id:
        raise ApiError(404, f"no token {token_id} in your team", "token_id")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
