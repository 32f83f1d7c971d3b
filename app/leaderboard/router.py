"""GET /leaderboard: models of matched time cost (C, or a measured time on a device profile),
ranked by mean top-1 error over seeds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import SessionDep
from app.errors import responses
from app.fields import MAX_ID, Printable
from app.leaderboard.schemas import LeaderboardOut
from app.leaderboard.service import board
from app.teams.deps import TeamDep

router = APIRouter(tags=["leaderboard"])


@router.get("/leaderboard", response_model=LeaderboardOut, responses=responses(401, 404, 422))
def leaderboard(
    team: TeamDep,
    session: SessionDep,
    budget_id: Annotated[int, Query(ge=1, le=MAX_ID, description="see GET /budgets")],
    protocol: Annotated[
        str | None, Query(max_length=300, description="only this protocol"), Printable
    ] = None,
    team_name: Annotated[
        str | None,
        Query(alias="team", max_length=64, description="only this team's architectures"),
        Printable,
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> LeaderboardOut:
    """Every team's published architectures within the budget (and your unpublished ones, marked
    `published: false`), one row per architecture and protocol, on real datasets only. On a time
    budget, within means the median of their benchmarks on the budget's device; the ones never
    benchmarked there are listed apart in `predicted`, with their predicted time, not ranked."""
    return board(session, team, budget_id, protocol, team_name, limit)
