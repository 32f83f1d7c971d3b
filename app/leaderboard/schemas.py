from __future__ import annotations

from pydantic import BaseModel, Field

from app.budgets.models import METRIC_UNITS, Budget
from app.budgets.schemas import BudgetOut
from app.leaderboard.timings import TimingSummary


class Entry(BaseModel):
    rank: int | None = Field(
        description="1 = lowest mean top-1 error among entries of the same protocol; ties share a rank. "
        "null for a predicted entry, which is not ranked until measured"
    )
    architecture_id: int
    architecture_name: str
    team_name: str
    published: bool
    own: bool = Field(description="the architecture is your team's")
    conv_macs: int = Field(description="Eqn. (1): MACs per image, forward, conv layers only")
    ratio: float | None = Field(
        description="conv_macs over the budget's reference_conv_macs; null if that is 0 (no conv layers) "
        "or absent (a time budget)"
    )
    protocol: str
    seeds: int = Field(description="finished training runs averaged (one per seed)")
    top1_error_mean: float = Field(description="percent")
    top1_error_std: float | None = Field(
        description="sample standard deviation over seeds; null with one seed"
    )
    top5_error_mean: float | None
    top5_error_std: float | None
    latency_ms: float | None = Field(
        description="batch 1: the median over the benchmarks of timings[0] (the most benchmarked device and protocol)"
    )
    throughput: float | None = Field(description="images/s, of timings[0] likewise")
    device: str | None = Field(description="the device of timings[0]")
    timings: list[TimingSummary] = Field(
        [], description="per device and benchmark protocol: the median over all benchmarks, with its spread"
    )
    # time budgets only
    measured: TimingSummary | None = Field(
        None,
        description="time budgets: every benchmark on the budget's device and protocol, as one median "
        "with its p10-p90 and how many were noisy",
    )
    predicted: bool = Field(
        False,
        description="time budgets: no benchmark on the budget's device and protocol yet, so not ranked; "
        "predicted_ms is the budget's device profile's prediction",
    )
    predicted_ms: float | None = Field(
        None, description="predicted entries: batch-1 latency predicted on the budget's device profile"
    )
    time_ratio: float | None = Field(
        None,
        description="time budgets: the measured median (a predicted entry of a latency budget: the predicted "
        "time) over the budget's reference_value",
    )


class Measure(BaseModel):
    """What the board holds models to: a cost, or a time on one device profile."""

    metric: str = Field(description='"macs", "latency_ms" or "throughput"')
    unit: str = Field(description='"MAC", "ms" (per image, batch 1) or "images/s"')
    reference_value: float | None = Field(description="time budgets: the reference, in `unit`")
    batch_size: int | None = Field(description="time budgets: the batch the time is at")
    device: str | None = Field(description="time budgets: the device, as benchmark results name it")
    device_profile_id: int | None
    dtype: str | None = Field(description="time budgets: the benchmarks' dtype, the profile's")
    channels_last: bool | None = Field(description="time budgets: the benchmarks' layout, the profile's")

    @classmethod
    def of(cls, budget: Budget) -> Measure:
        profile = budget.device_profile
        return cls(
            metric=budget.metric,
            unit=METRIC_UNITS.get(budget.metric, budget.metric),
            reference_value=budget.reference_value,
            batch_size=budget.batch_size,
            device=profile.device if profile else None,
            device_profile_id=profile.id if profile else None,
            dtype=profile.dtype if profile else None,
            channels_last=profile.channels_last if profile else None,
        )


class LeaderboardOut(BaseModel):
    budget: BudgetOut
    measure: Measure
    protocols: list[str] = Field(description="every protocol with ranked results in this budget")
    entries: list[Entry] = Field(description="ranked")
    predicted: list[Entry] = Field(
        [],
        description="time budgets: models with results but no benchmark on the budget's device, listed "
        "apart with their predicted time and not ranked until measured",
    )
