"""The shapes of device profiles, and of an analysis with predicted times. No web imports: the
worker's side of the service uses them too (the request body is `app.profiles.requests`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.arch.analysis import Analysis, LayerReport
from app.profiles.data import FitQuality


class DeviceProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    device: str = Field(description="the CPU's or GPU's model name, as benchmark results name it")
    device_type: str = Field(description="cpu | cuda")
    torch_version: str
    dtype: str
    channels_last: bool
    batch_size: int = Field(description="the batch the model predicts (1: latency)")
    threads: int | None
    job_id: int | None = Field(description="the calibration job that made it")
    fit: FitQuality
    provenance: dict[str, Any]
    created_at: datetime


class DeviceProfileDetail(DeviceProfileOut):
    """One profile with its model (some 300-400 kB of trees, so lists leave it out)."""

    model: dict[str, Any] = Field(
        description="the fitted latency model as data: app.arch.latency.LatencyModel, version 2 "
        '(docs/design.md, "Device profiles"); a version 1 model (linear, before 2026-12-02) no longer '
        "predicts: calibrate again"
    )


class ProfileRef(BaseModel):
    """The profile a prediction used."""

    id: int
    name: str
    device: str
    dtype: str
    channels_last: bool
    batch_size: int


class PredictedLayer(LayerReport):
    predicted_ms: float | None = Field(None, description="with device_profile: batch-1 time on its device")
    time_share: float | None = Field(
        None, description="with device_profile: share of the layers' predicted time"
    )


class PredictedAnalysis(Analysis):
    """`POST /complexity`'s answer: the analysis, and with `device_profile` the predicted times."""

    layers: list[PredictedLayer]  # type: ignore[assignment]
    predicted_ms: float | None = Field(
        None, description="with device_profile: batch-1 latency = overhead + the layers' times"
    )
    overhead_ms: float | None = Field(None, description="the profile's fixed cost per network")
    baseline_ms: float | None = Field(
        None, description="the MACs-only baseline, a x C + b, on the same profile"
    )
    device_profile: ProfileRef | None = None
