from __future__ import annotations

from pydantic import BaseModel, Field

from app.budgets.schemas import BudgetOut


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
    ratio: float = Field(description="conv_macs over the budget's reference_conv_macs")
    protocol: str
    seeds: int = Field(description="finished training runs averaged (one per seed)")
    top1_error_mean: float = Field(description="percent")
    top1_error_std: float | None = Field(
        description="sample standard deviation over seeds; null with one seed"
    )
    top5_error_mean: float | None
    top5_error_std: float | None
    latency_ms: float | None = Field(description="batch 1, median, from the latest benchmark")
    throughput: float | None = Field(description="images/s, from the latest benchmark")
    device: str | None = Field(description="where the latest benchmark ran")


class LeaderboardOut(BaseModel):
    budget: BudgetOut
    protocols: list[str] = Field(description="every protocol with ranked results in this budget")
    entries: list[Entry]
