"""The matched-cost leaderboard, aggregated in SQL (app.leaderboard.aggregate).

One row per (architecture, protocol) over the `results` of finished training jobs on a real
dataset (never `synthetic`) that learned (`Result.learned`), for architectures inside the budget: input side equal to the
budget's, conv MACs within its tolerance (app.budgets.service.macs_range). The viewer sees every
team's published architectures and its own unpublished ones. A time budget's board is
app.leaderboard.time_board's: the same rows, held to measured times instead of C.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.architectures.models import Architecture
from app.budgets.schemas import BudgetOut
from app.budgets.service import get_budget, macs_range
from app.jobs.models import Result
from app.leaderboard.aggregate import JOINED, competing, entry, grouped, sample_std, with_architecture
from app.leaderboard.schemas import LeaderboardOut, Measure
from app.leaderboard.time_board import time_board
from app.leaderboard.timings import benchmark_timings
from app.teams.models import Team

__all__ = ["board", "sample_std"]


def board(
    session: Session,
    viewer_team: Team,
    budget_id: int,
    protocol: str | None = None,
    team_name: str | None = None,
    limit: int = 50,
) -> LeaderboardOut:
    """The leaderboard of one budget as `viewer_team` sees it, best mean top-1 error first.

    `rank` is computed within each protocol (errors under different protocols are not
    comparable) and before the `team_name` filter, so a team's rows keep their board positions;
    equal means share a rank. `protocol` and `team_name` filter when given (an empty string is no
    filter); `protocols` lists every protocol on the board whatever the filters. Raises
    NotFound for an unknown budget."""
    budget = get_budget(session, viewer_team, budget_id)
    if budget.metric != "macs":
        return time_board(session, viewer_team, budget, protocol, team_name, limit)
    low, high = macs_range(budget)
    eligible = [Architecture.conv_macs.between(low, high), *competing(budget, viewer_team)]
    protocols = session.scalars(
        select(Result.protocol).select_from(JOINED).where(*eligible).distinct().order_by(Result.protocol)
    ).all()
    rows = session.execute(
        with_architecture(grouped(eligible, protocol, ranked=True), team_name).limit(limit)
    ).all()
    # every benchmark of each architecture, per device and protocol (app.leaderboard.timings)
    benchmarks = benchmark_timings(session, list({row.architecture_id for row in rows}))
    return LeaderboardOut(
        budget=BudgetOut.model_validate(budget),
        measure=Measure.of(budget),
        protocols=list(protocols),
        entries=[
            entry(row, viewer_team, budget, benchmarks.get(row.architecture_id, []), row.rank) for row in rows
        ],
    )
