from __future__ import annotations

from pydantic import BaseModel, Field

from app.budgets.schemas import BudgetOut
from app.leaderboard.timings import TimingSummary


class Entry(BaseModel):
    rank: int = Field(
        description="1 = lowest mean top-1 error among entries of the same protocol; ties share a rank"
    )
    architecture_id: int
    architecture_name: str
    team_name: str
    published: bool
    own: bool = Field(description="the architecture is your team's")
    conv_macs: int = Field(description="Eqn. (1): MACs per image, forward, conv layers only")
    ratio: float | None = Field(
        description="conv_macs over the budget's reference_conv_macs; null if that is 0 (no conv layers)"
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


class LeaderboardOut(BaseModel):
    budget: BudgetOut
    protocols: list[str] = Field(description="every protocol with ranked results in this budget")
    entries: list[Entry]
