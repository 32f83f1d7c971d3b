"""Per-team quotas that hold when a team's requests arrive at once (docs/design.md, "Quotas").

A count followed by an insert lets every request that counted before the others committed
through. `check` first locks the team's row (app.db.lock_row) for the rest of the caller's unit of
work, so a team's quota checks, and the writes they guard, run one at a time; other teams are not
held up on PostgreSQL (a row lock), and only for that short transaction on SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.db import lock_row
from app.exceptions import QuotaExceeded
from app.teams.models import Team


def lock(session: Session, team: Team) -> None:
    """Serialise this team's quota-checked writes until the caller commits or rolls back."""
    lock_row(session, Team, team.id)


def check(
    session: Session,
    team: Team,
    counted: Select[Any],
    limit: int,
    what: str,
    adding: int = 1,
    field: str | None = None,
) -> int:
    """Lock the team, count what `counted` selects (a `count()` of the team's rows) and refuse
    with QuotaExceeded (429) if `adding` more would pass `limit`. Returns the count."""
    lock(session, team)
    used = session.scalar(counted) or 0
    if used + adding > limit:
        session.rollback()  # a refusal releases the team at once, not when the request ends
        raise QuotaExceeded(f"your team has {used} {what}; the limit is {limit}", field)
    return used
