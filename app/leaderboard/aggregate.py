"""What every leaderboard shares: the results that count, aggregated per (architecture, protocol)
in SQL, and an entry built from one aggregate row (app.leaderboard.service for cost budgets,
app.leaderboard.time_board for time budgets).

SQLite has no stddev aggregate, so both databases return count, sum and sum of squares, and the
sample standard deviation is sqrt((sum2 - sum^2 / n) / (n - 1)). For errors in percent (0-100)
the cancellation in that formula costs about 1e-10 absolute, far below what is reported.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, Subquery, and_, func, or_, select

from app.architectures.models import Architecture
from app.budgets.models import Budget
from app.jobs.models import Result
from app.leaderboard.schemas import Entry
from app.leaderboard.timings import TimingSummary
from app.teams.models import Team

JOINED = Result.__table__.join(Architecture.__table__, Architecture.id == Result.architecture_id)


def sample_std(n: int, total: float | None, squares: float | None) -> float | None:
    """Sample standard deviation from n, sum and sum of squares; None for fewer than 2 values."""
    if n < 2 or total is None or squares is None:
        return None
    variance = (squares - total * total / n) / (n - 1)
    # identical values can leave a rounding residue of either sign: treat it as zero
    if variance <= 1e-12 * max(1.0, (total / n) ** 2):
        return 0.0
    return math.sqrt(variance)


def competing(budget: Budget, viewer: Team) -> list[ColumnElement[bool]]:
    """Architectures of the budget's input side that the viewer may see, and their results that
    count: finished training on a real dataset that learned."""
    return [
        Architecture.spec[("input", "height")].as_integer() == budget.input_side,
        Architecture.spec[("input", "width")].as_integer() == budget.input_side,
        or_(Architecture.published.is_(True), Architecture.team_id == viewer.id),
        Result.kind == "train",
        Result.dataset != "synthetic",  # also drops NULL: a result with no known dataset is not ranked
        Result.top1_error.is_not(None),
        Result.learned.is_(True),  # a run that did not learn measures no architecture
    ]


def grouped(eligible: list[ColumnElement[bool]], protocol: str | None, ranked: bool) -> Subquery:
    """One row per (architecture, protocol): n, mean, sum and sum of squares of top-1 and top-5
    error, and with `ranked` the rank by mean top-1 error within the protocol (ties share it)."""
    mean1 = func.avg(Result.top1_error)
    rank = [func.rank().over(partition_by=Result.protocol, order_by=mean1).label("rank")] if ranked else []
    return (
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
            *rank,
        )
        .select_from(JOINED)
        .where(*eligible, *([Result.protocol == protocol] if protocol else []))
        .group_by(Result.architecture_id, Result.protocol)
        .subquery()
    )


def with_architecture(rows: Subquery, team_name: str | None) -> Select[Any]:
    """The aggregate rows with their architecture and team, best mean first."""
    return (
        select(
            rows,
            Architecture.name,
            Architecture.team_id,
            Architecture.published,
            Architecture.conv_macs,
            Team.name.label("team_name"),
        )
        .join(Architecture, Architecture.id == rows.c.architecture_id)
        .join(Team, and_(Team.id == Architecture.team_id, *([Team.name == team_name] if team_name else [])))
        .order_by(rows.c.mean1, rows.c.protocol, rows.c.architecture_id)
    )


def _ratio(conv_macs: int, reference: int | None) -> float | None:
    """C over the budget's reference C; None for a time budget (it has no C), or a reference of
    C = 0, which budgets created now refuse but older rows may hold (docs/design.md, "Input")."""
    return conv_macs / reference if reference else None


def entry(
    row: Row[Any], viewer: Team, budget: Budget, timings: list[TimingSummary], rank: int | None, **fields: Any
) -> Entry:
    """The entry of one aggregate row; `fields` are a time budget's."""
    first = timings[0] if timings else None
    return Entry(
        rank=rank,
        architecture_id=row.architecture_id,
        architecture_name=row.name,
        team_name=row.team_name,
        published=row.published,
        own=row.team_id == viewer.id,
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
        **fields,
    )
