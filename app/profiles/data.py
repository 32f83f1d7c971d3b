"""What a calibration hands to the database (docs/design.md, "Device profiles"): the device, the
fitted model and its fit quality. Pure pydantic, shared by the worker (writes) and the API (reads)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.arch.latency import LatencyModel


class FitQuality(BaseModel):
    """How well the model predicts the calibration's own timings."""

    layers: int = Field(description="layers timed: those inside the networks' passes and the grid's, alone")
    networks: int = Field(description="whole networks whose layers were timed inside their passes")
    cv_folds: int = Field(
        description="k-fold cross-validated by source: each network or grid layer predicted by a fit without it"
    )
    layer_median_abs_error: float = Field(description="median |predicted / measured - 1| over the layers")
    layer_within_10: float = Field(description="share of layers predicted within +-10%")
    layer_within_20: float
    network_median_abs_error: float | None = Field(description="the same over the networks")
    baseline_network_median_abs_error: float | None = Field(description="the MACs-only baseline's")
    calibration_s: float = Field(description="wall time of the calibration")
    round_times: list[float] | None = Field(
        None,
        description="each round's pass times over their medians across all rounds (the median over the "
        "sources): 1.15 = the host ran 15% slower in that round; none for profiles stored before the rounds",
    )
    noisy: bool = Field(
        False,
        description="a round's times more than the calibration's precision from 1: the host's speed moved",
    )


class ProfileData(BaseModel):
    name: str
    device: str
    device_type: str
    torch_version: str
    dtype: str
    channels_last: bool
    batch_size: int = 1
    threads: int | None
    model: LatencyModel
    fit: FitQuality
    provenance: dict[str, Any]
