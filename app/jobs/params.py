"""What a job asks for: the training protocol or the benchmark settings. Pure pydantic, shared by
the API (validated at submission) and the workers (read back from the job row)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from app.arch.text import Printable

# The default training protocol (docs/design.md, "Training protocol"): chosen by bench/protocol.py
# over the 14 s36 presets on digits; DEFAULT_EPOCHS is what the CLI, the dashboard and studies use.
DEFAULT_EPOCHS = 30
DEFAULT_LR = 0.02
DEFAULT_WARMUP_FRACTION = 0.2
DEFAULT_MAX_GRAD_NORM = 5.0
DEFAULT_MAX_REPEATS = 300  # a benchmark's timed runs grow up to this (docs/design.md, "Benchmark results")


class _Params(BaseModel):
    # Strict: "epochs": "1" or true is a client's mistake, not a number to guess at (docs/design.md,
    # "Input"). What the workers read back was written by model_dump(mode="json"), so it passes.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class DatasetRef(_Params):
    """A dataset by kind; `path` is relative to the workers' data root (ISOCOST_DATA_ROOT).

    digits: scikit-learn's 1,797 8x8 digits (built in, no path); cifar10: the python-pickle
    layout (data_batch_1..5, test_batch); imagefolder: train/ and val/ with one folder per
    class; synthetic: random tensors, for timing only (never ranked).
    """

    kind: Literal["digits", "cifar10", "imagefolder", "synthetic"] = "digits"
    path: Annotated[str, Field(max_length=255), Printable] | None = None

    @field_validator("path")
    @classmethod
    def _relative(cls, path: str | None) -> str | None:
        if path is None:
            return None
        parts = PurePosixPath(path.replace("\\", "/"))
        if parts.is_absolute() or path.startswith("~") or ".." in parts.parts or ":" in path:
            raise ValueError("must be a path relative to the data root, without '..'")
        return parts.as_posix()

    @model_validator(mode="after")
    def _path_needed(self) -> DatasetRef:
        needs = self.kind in ("cifar10", "imagefolder")
        if needs and not self.path:
            raise ValueError(f"{self.kind} needs a path relative to the data root")
        if not needs and self.path:
            raise ValueError(f"{self.kind} takes no path")
        return self


class TrainParams(_Params):
    """A training protocol (one seed). Give `epochs` or `time_budget_s`, the wall-clock seconds of
    training (the paper's constrained time), not both."""

    dataset: DatasetRef = DatasetRef()
    epochs: Annotated[int, Field(ge=1)] | None = None
    time_budget_s: Annotated[float, Field(gt=0)] | None = None
    batch_size: Annotated[int, Field(ge=1)] = 64
    # The default rate and warm-up were chosen over the whole s36 family (docs/design.md,
    # "Training protocol"); every one of them can still be set.
    lr: Annotated[float, Field(gt=0, le=10)] = DEFAULT_LR
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    weight_decay: Annotated[float, Field(ge=0, le=1)] = 5e-4
    schedule: Literal["cosine", "step"] = "cosine"
    step_gamma: Annotated[float, Field(gt=0, le=1)] = 0.1  # "step": lr x gamma at 1/2 and 3/4
    # linear warm-up from 0 over this fraction of the schedule (batches, or the time budget); the
    # schedule then runs over the rest. 0: no warm-up.
    warmup_fraction: Annotated[float, Field(ge=0, le=0.5)] = DEFAULT_WARMUP_FRACTION
    # the gradient's global L2 norm is clipped to this before each step; None: no clipping
    max_grad_norm: Annotated[float, Field(gt=0, le=1e6)] | None = DEFAULT_MAX_GRAD_NORM
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] = 0
    val_fraction: Annotated[float, Field(gt=0, lt=1)] = 0.2  # held-out split where none ships
    max_train_images: Annotated[int, Field(ge=1)] | None = None  # a subset, for quick studies

    @model_validator(mode="after")
    def _one_budget(self) -> TrainParams:
        if (self.epochs is None) == (self.time_budget_s is None):
            raise ValueError("give exactly one of epochs or time_budget_s")
        return self

    def protocol(self) -> str:
        """What makes two results comparable: everything but the seed."""
        data = self.dataset.kind + (f":{self.dataset.path}" if self.dataset.path else "")
        budget = f"{self.epochs} epochs" if self.epochs else f"{self.time_budget_s:g} s"
        schedule = self.schedule + (f" x{self.step_gamma:g}" if self.schedule == "step" else "")
        subset = f", {self.max_train_images} images" if self.max_train_images else ""
        # only when set, so a protocol without them reads as it did before they existed
        warmup = f", warm-up {self.warmup_fraction:g}" if self.warmup_fraction else ""
        clip = f", clip {self.max_grad_norm:g}" if self.max_grad_norm is not None else ""
        return (
            f"{data}, {budget}, batch {self.batch_size}, SGD lr {self.lr:g} m {self.momentum:g} "
            f"wd {self.weight_decay:g} {schedule}{warmup}{clip}{subset}"
        )


class BenchmarkParams(_Params):
    """Inference latency (batch 1), throughput (at `batch_size`, halved on out-of-memory) and
    training step time, each over at least `repeats` timed runs after `warmup` untimed ones; runs
    are added until the median's 95% interval is within +-`precision` or `max_repeats` is reached
    (docs/design.md, "Benchmark results")."""

    batch_size: Annotated[int, Field(ge=1)] = 32
    repeats: Annotated[int, Field(ge=3, le=1000)] = 30
    # None: DEFAULT_MAX_REPEATS, or `repeats` if that is more
    max_repeats: Annotated[int, Field(ge=3, le=1000)] | None = None
    precision: Annotated[float, Field(gt=0, le=1)] = 0.05
    warmup: Annotated[int, Field(ge=1, le=100)] = 5
    per_layer: bool = True
    flag_factor: Annotated[float, Field(gt=1, le=100)] = 2.0  # measured share vs share of C
    dtype: Literal["float32", "bfloat16"] = "float32"
    channels_last: bool = False

    @field_validator("max_repeats")
    @classmethod
    def _cap_above_minimum(cls, cap: int | None, info: ValidationInfo) -> int | None:
        repeats = info.data.get("repeats")
        if cap is not None and repeats is not None and cap < repeats:
            raise ValueError(f"must be at least repeats ({repeats})")
        return cap

    def run_cap(self) -> int:
        """The most timed runs one timing may take."""
        return self.max_repeats if self.max_repeats is not None else max(self.repeats, DEFAULT_MAX_REPEATS)

    def protocol(self) -> str:
        layout = ", channels_last" if self.channels_last else ""
        return f"benchmark, batch 1 and {self.batch_size}, {self.dtype}{layout}"


class CalibrateParams(_Params):
    """A calibration of the worker's device (docs/design.md, "Device profiles"): the layers of the
    `grid`'s networks and single layers timed at batch 1 inside `max_repeats` passes each (split
    over rounds through all of them, each source's first round after `warmup` untimed passes), a
    latency model fitted, and a device profile stored under `name` (default: the device's name,
    dtype and layout). The profile is `noisy` when a round's times moved more than +-`precision`
    from their median: the host's speed changed. `repeats` is accepted as for a benchmark, and
    unused: a fixed number of passes per source keeps the rounds aligned."""

    grid: Literal["standard", "tiny"] = "standard"  # tiny: a few layers, for tests
    name: Annotated[str, Field(min_length=1, max_length=100), Printable] | None = None
    dtype: Literal["float32", "bfloat16"] = "float32"
    channels_last: bool = False
    repeats: Annotated[int, Field(ge=3, le=100)] = 7
    max_repeats: Annotated[int, Field(ge=3, le=1000)] = 30
    precision: Annotated[float, Field(gt=0, le=1)] = 0.05
    warmup: Annotated[int, Field(ge=1, le=100)] = 3

    @field_validator("max_repeats")
    @classmethod
    def _cap_above_minimum(cls, cap: int, info: ValidationInfo) -> int:
        repeats = info.data.get("repeats")
        if repeats is not None and cap < repeats:
            raise ValueError(f"must be at least repeats ({repeats})")
        return cap

    def protocol(self) -> str:
        layout = ", channels_last" if self.channels_last else ""
        return f"calibration, {self.grid} grid, batch 1, {self.dtype}{layout}"
