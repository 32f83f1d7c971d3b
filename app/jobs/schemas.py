from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.fields import RowId
from app.jobs.params import BenchmarkParams, TrainParams


class JobRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "architecture_id": 1,
                    "kind": "train",
                    "params": {"dataset": {"kind": "digits"}, "epochs": 2},
                    "seeds": [0, 1, 2],
                }
            ]
        },
    )

    architecture_id: RowId
    kind: Literal["train", "benchmark"]
    queue: Literal["gpu", "cpu"] | None = Field(
        None, description="default: the server's ISOCOST_DEFAULT_QUEUE"
    )
    params: dict = Field(
        default_factory=dict, description="TrainParams for train, BenchmarkParams for benchmark"
    )
    seeds: (
        Annotated[list[Annotated[int, Field(ge=0, le=2**31 - 1)]], Field(min_length=1, max_length=10)] | None
    ) = Field(None, description="train only: one job per seed")


class MetricOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    epoch: int
    train_loss: float | None
    val_loss: float | None
    top1_error: float | None
    top5_error: float | None
    images_per_s: float | None
    lr: float | None
    elapsed_s: float | None


class ResultOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    job_id: int
    kind: str
    protocol: str
    dataset: str | None
    seed: int | None
    conv_macs: int
    top1_error: float | None
    top5_error: float | None
    train_seconds: float | None
    latency_ms: float | None
    throughput: float | None
    device: str | None
    provenance: dict
    details: dict | None


class JobOut(BaseModel):
    id: int
    architecture_id: int
    architecture_name: str
    kind: str
    queue: str
    params: dict
    protocol: str
    seed: int | None
    status: str
    progress: float
    attempts: int
    cancel_requested: bool
    worker: str | None
    device: str | None
    error: str | None
    created_at: datetime
    enqueued_at: datetime | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None


class JobDetail(JobOut):
    metrics: list[MetricOut]
    result: ResultOut | None


class Submitted(BaseModel):
    jobs: list[JobOut]


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    page: int
    per_page: int


ParamsModel = {"train": TrainParams, "benchmark": BenchmarkParams}
