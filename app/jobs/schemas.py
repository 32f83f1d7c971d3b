from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from app.fields import RowId
from app.jobs.params import BenchmarkParams, CalibrateParams, TrainParams
from app.jobs.status import JobKind, JobStatus


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

    architecture_id: RowId | None = Field(None, description="train and benchmark: required; calibrate: none")
    kind: JobKind
    queue: Literal["gpu", "cpu"] | None = Field(
        None, description="default: the server's ISOCOST_DEFAULT_QUEUE"
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="TrainParams for train, BenchmarkParams for benchmark, CalibrateParams for calibrate",
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
    provenance: dict[str, Any]
    details: dict[str, Any] | None
    learned: bool = True  # False: did not learn (provenance.did_not_learn says why); never ranked


class JobOut(BaseModel):
    """Read from a row of `service.select_out`: the job's columns plus `architecture_name`."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    architecture_id: int | None = Field(description="null for a calibration")
    architecture_name: str | None
    kind: str
    queue: str
    params: dict[str, Any]
    protocol: str
    status: JobStatus
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
    # False: the run finished but did not learn (docs/design.md, "Training protocol"); None: no result yet
    learned: bool | None = None
    queue_position: int | None = Field(
        None, description="queued jobs only: 1 = next to run on its queue (every team's jobs count)"
    )
    eta_s: float | None = Field(None, description="running jobs only: estimated seconds left")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seed(self) -> int | None:
        """A training job's seed; null for benchmarks."""
        seed = self.params.get("seed") if self.kind == "train" else None
        return seed if isinstance(seed, int) else None


class JobDetail(JobOut):
    metrics: list[MetricOut]
    result: ResultOut | None


class Submitted(BaseModel):
    jobs: list[JobOut]


ParamsModel: dict[str, type[TrainParams] | type[BenchmarkParams] | type[CalibrateParams]] = {
    "train": TrainParams,
    "benchmark": BenchmarkParams,
    "calibrate": CalibrateParams,
}
