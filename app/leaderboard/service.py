"""The matched-cost leaderboard, aggregated in SQL.

One row per (architecture, protocol) over the `results` of finished training jobs on a real
dataset (never `synthetic`) that learned (`Result.learned`), for architectures inside the budget: input side equal to the
budget's, conv MACs within its tolerance (app.budgets.service.macs_range). The viewer sees every
team's published architectures and its own unpublished ones.

SQLite has no stddev aggregate, so both databases return count, sum and sum of squares, and the
sample standard deviation is sqrt((sum2 - sum^2 / n) / (n - 1)). For errors in percent (0-100)
the cancellation in that formula costs about 1e-10 absolute, far below what is reported.
"""

from __future__ import annotations

import math

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app.architectures.models import Architecture
from app.budgets.models import Budget
from app.budgets.service import budget_out, get_budget, macs_range
from app.jobs.models import Result
from app.leaderboard.schemas import Entry, LeaderboardOut
from app.leaderboard.timings import benchmark_timings
from app.teams.models import Team


def sample_std(n: int, total: float | None, squares: float | None) -> float | None:
    """Sample standard deviation from n, sum and sum of squares; None for fewer than 2 values."""
    if n < 2 or total is None or squares is None:
        return None
    variance = (squares - total * total / n) / (n - 1)
    # identical values can leave a rounding residue of either sign: treat it as zero
    if variance <= 1e-12 * max(1.0, (total / n) ** 2):
        return 0.0
    return math.sqrt(variance)


def _ratio(conv_macs: int, reference: int) -> float | None:
    """C over the budget's reference; None for a reference of C = 0, which budgets created now
    refuse but older rows may hold (docs/design.md, "Input")."""
    return conv_macs / reference if reference > 0 else None


def _eligible(budget: Budget, viewer: Team) -> list[ColumnElement[bool]]:
    """Architectures inside the budget that the viewer may see, and their ranked results."""
    low, high = macs_range(budget)
    return [
        Architecture.conv_macs.between(low, high),
        Architecture.spec[("input", "height")].as_integer() == budget.input_side,
        Architecture.spec[("input", "width")].as_integer() == budget.input_side,
        or_(Architecture.published.is_(True), Architecture.team_id == viewer.id),
        Result.kind == "train",
        Result.dataset != "synthetic",  # also drops NULL: a result with no known dataset is not ranked
        Result.top1_error.is_not(None),
        Result.learned.is_(True),  # a run that did not learn measures no architecture
    ]


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
    budget = get_budget(session, budget_id)
    eligible = _eligible(budget, viewer_team)
    joined = Result.__table__.join(Architecture.__table__, Architecture.id == Result.architecture_id)

    protocols = session.scalars(
        select(Result.protocol).select_from(joined).where(*eligible).distinct().order_by(Result.protocol)
    ).all()

    mean1 = func.avg(Result.top1_error)
    grouped = (
        select(
            Result.architecture_id.label("architecture_id"),
            Result.protocol.label("protocol"),
            func.count(Result.top1_error).label("n1"),
            mean1.label("mean1"),
            func.sum(Result.top1_error).label("sum1"),
            func.sum(Result.top1_error * Result.top1_error).label("sq1"),
            func.count(Result.top5_error).label("n5"),
            func.avg(Result.top5_error).label("mean5"),
            func.sum(Result.top5_error).label("sum5"),
            func.sum(Result.top5_error * Result.top5_error).label("sq5"),
            func.rank().over(partition_by=Result.protocol, order_by=mean1).label("rank"),
        )
        .select_from(joined)
        .where(*eligible, *([Result.protocol == protocol] if protocol else []))
        .group_by(Result.architecture_id, Result.protocol)
        .subquery()
    )
    rows = session.execute(
        select(
            grouped,
            Architecture.name,
            Architecture.team_id,
            Architecture.published,
            Architecture.conv_macs,
            Team.name.label("team_name"),
        )
        .join(Architecture, Architecture.id == grouped.c.architecture_id)
        .join(Team, and_(Team.id == Architecture.team_id, *([Team.name == team_name] if team_name else [])))
        .order_by(grouped.c.mean1, grouped.c.protocol, grouped.c.architecture_id)
        .limit(limit)
    ).all()

    # every benchmark of each architecture, per device and protocol (app.leaderboard.timings)
    benchmarks = benchmark_timings(session, list({row.architecture_id for row in rows}))
    entries = []
    for row in rows:
        timings = benchmarks.get(row.architecture_id, [])
        first = timings[0] if timings else None
        entries.append(
            Entry(
                rank=row.rank,
                architecture_id=row.architecture_id,
                architecture_name=row.name,
                team_name=row.team_name,
                published=row.published,
                own=row.team_id == viewer_team.id,
                conv_macs=row.conv_macs,
                ratio=_ratio(row.conv_macs, budget.reference_conv_macs),
                protocol=row.protocol,
                seeds=row.n1,
                top1_error_mean=row.mean1,
                top1_error_std=sample_std(row.n1, row.sum1, row.sq1),
                top5_error_mean=row.mean5,
                top5_error_std=sample_std(row.n5, row.sum5, row.sq5),
                latency_ms=first.latency_ms if first else None,
                throughput=first.throughput if first else None,
                device=first.device if first else None,
                timings=timings,
            )
        )
    return LeaderboardOut(
        budget=budget_out(session, viewer_team, budget), protocols=list(protocols), entries=entries
    )
