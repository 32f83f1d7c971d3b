"""The leaderboard of a time budget (docs/design.md, "Device profiles"): the architectures of the
budget's input side that the viewer may see, with their ranked results (app.leaderboard.aggregate),
held to their measured time on the budget's device instead of their cost C.

- **Measured**: every benchmark of the architecture on the profile's device (by name) whose
  protocol has the profile's dtype and layout, and for a throughput budget the budget's batch
  (a batch halved on out-of-memory measured another batch, so it does not count), summarised as
  one median with its p10-p90 and noisy count (app.leaderboard.timings). Entries whose median is
  within the tolerance of the reference are ranked by mean top-1 error within their protocol, ties
  sharing a rank, as on a cost budget; the others are outside the budget.
- **Predicted**: an architecture with no such benchmark is listed apart with its batch-1 time
  predicted on the profile, and is not ranked until measured. A latency budget lists those whose
  prediction is within the tolerance; a throughput budget lists them all, since a profile
  predicts batch-1 latency, not images/s at a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.arch.analysis import analyse
from app.arch.spec import Spec
from app.architectures.models import Architecture
from app.budgets.models import Budget
from app.budgets.schemas import BudgetOut
from app.budgets.service import time_within
from app.exceptions import Invalid
from app.jobs.params import BenchmarkParams
from app.jobs.results import BenchmarkDetails
from app.leaderboard.aggregate import competing, entry, grouped, with_architecture
from app.leaderboard.schemas import Entry, LeaderboardOut, Measure
from app.leaderboard.timings import Keep, benchmark_timings, device_timings
from app.profiles.models import DeviceProfile
from app.profiles.service import predict_on
from app.teams.models import Team


def _keep(budget: Budget, profile: DeviceProfile) -> Keep:
    """Which benchmarks measure the budget: the profile's dtype and layout, and a throughput
    budget's batch, really used."""

    def keep(params: BenchmarkParams, details: BenchmarkDetails | None) -> bool:
        if params.dtype != profile.dtype or params.channels_last != profile.channels_last:
            return False
        if budget.metric != "throughput":
            return True  # batch-1 latency is measured whatever the throughput batch
        halved = details is not None and details.batch_used not in (0, budget.batch_size)  # 0: not recorded
        return params.batch_size == budget.batch_size and not halved

    return keep


def _label(budget: Budget, profile: DeviceProfile) -> str:
    """The `protocol` of a measured summary: the benchmark protocols it spans."""
    layout = ", channels_last" if profile.channels_last else ""
    batch = budget.batch_size if budget.metric == "throughput" else "any"
    return f"benchmark, batch 1 and {batch}, {profile.dtype}{layout}"


def _within(budget: Budget, value: float | None, unknown: bool = False) -> bool:
    """`time_within`, or `unknown` for a value that is missing."""
    return unknown if value is None else time_within(budget, value)


def _ranks(rows: Sequence[Row[Any]]) -> dict[tuple[int, str], int]:
    """(architecture, protocol) -> 1 + the entries of its protocol with a lower mean: ties share
    a rank (1, 1, 3), as SQL's rank() gives a cost budget's board."""
    means: dict[str, list[float]] = {}
    for row in rows:
        means.setdefault(row.protocol, []).append(row.mean1)
    return {
        (row.architecture_id, row.protocol): 1 + sum(mean < row.mean1 for mean in means[row.protocol])
        for row in rows
    }


def _predictions(session: Session, profile: DeviceProfile, ids: Iterable[int]) -> dict[int, float | None]:
    """architecture_id -> its batch-1 time predicted on the profile, in ms (None when the profile
    has no model of one of its layer kinds)."""
    out: dict[int, float | None] = {}
    for architecture_id, spec in session.execute(
        select(Architecture.id, Architecture.spec).where(Architecture.id.in_(set(ids)))
    ):
        try:
            out[architecture_id] = predict_on(analyse(Spec.model_validate(spec)), profile).total_s * 1e3
        except Invalid:
            out[architecture_id] = None
    return out


def time_board(
    session: Session, viewer: Team, budget: Budget, protocol: str | None, team_name: str | None, limit: int
) -> LeaderboardOut:
    """As app.leaderboard.service.board, for a time budget."""
    profile, reference = budget.device_profile, budget.reference_value
    assert profile is not None and reference is not None  # every time budget has both
    metric = "latency_ms" if budget.metric == "latency_ms" else "throughput"
    # all rows: ranks and `protocols` do not depend on the filters, which apply after
    rows = session.execute(
        with_architecture(grouped(competing(budget, viewer), None, ranked=False), None)
    ).all()
    ids = list({row.architecture_id for row in rows})
    measured = device_timings(session, ids, profile.device, _keep(budget, profile), _label(budget, profile))
    values = {key: getattr(summary, metric) for key, summary in measured.items()}
    inside = [row for row in rows if _within(budget, values.get(row.architecture_id))]
    ranks = _ranks(inside)

    def shown(candidates: list[Row[Any]]) -> list[Row[Any]]:
        return [
            row
            for row in candidates
            if (not protocol or row.protocol == protocol) and (not team_name or row.team_name == team_name)
        ]

    unmeasured = shown([row for row in rows if values.get(row.architecture_id) is None])
    predictions: dict[int, float | None] = {}
    apart: list[Row[Any]] = []
    # predicted a page at a time, until `limit` are shown: the work stays bounded by what is shown
    for start in range(0, len(unmeasured), max(limit, 1)):
        if len(apart) >= limit:
            break
        page = unmeasured[start : start + max(limit, 1)]
        predictions.update(_predictions(session, profile, (row.architecture_id for row in page)))
        # a latency budget: the prediction says whether it belongs; a missing one cannot tell
        apart += [
            row
            for row in page
            if metric != "latency_ms" or _within(budget, predictions[row.architecture_id], True)
        ]
    ranked, apart = shown(inside)[:limit], apart[:limit]
    timings = benchmark_timings(session, list({row.architecture_id for row in ranked + apart}))

    def ranked_entry(row: Row[Any]) -> Entry:
        key = row.architecture_id
        rank = ranks[(key, row.protocol)]
        return entry(
            row,
            viewer,
            budget,
            timings.get(key, []),
            rank,
            measured=measured[key],
            time_ratio=values[key] / reference,
        )

    def predicted_entry(row: Row[Any]) -> Entry:
        ms = predictions[row.architecture_id]
        time_ratio = ms / reference if ms is not None and metric == "latency_ms" else None
        found = timings.get(row.architecture_id, [])
        return entry(row, viewer, budget, found, None, predicted=True, predicted_ms=ms, time_ratio=time_ratio)

    return LeaderboardOut(
        budget=BudgetOut.model_validate(budget),
        measure=Measure.of(budget),
        protocols=sorted({row.protocol for row in inside}),
        entries=[ranked_entry(row) for row in ranked],
        predicted=[predicted_entry(row) for row in apart],
    )
