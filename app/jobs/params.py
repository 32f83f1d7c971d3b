"""What a job asks for: the training protocol or the benchmark settings. Pure pydantic, shared by
the API (validated at submission) and the workers (read back from the job row)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetRef(_Params):
    """A dataset by kind; `path` is relative to the workers' data root (ISOCOST_DATA_ROOT).

    digits: scikit-learn's 1,797 8x8 digits (built in, no path); cifar10: the python-pickle
    layout (data_batch_1..5, test_batch); imagefolder: train/ and val/ with one folder per
    class; synthetic: random tensors, for timing only (never ranked).
    """

    kind: Literal["digits", "cifar10", "imagefolder", "synthetic"] = "digits"
    path: Annotated[str, Field(max_length=255)] | None = None

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
    lr: Annotated[float, Field(gt=0, le=10)] = 0.05
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    weight_decay: Annotated[float, Field(ge=0, le=1)] = 5e-4
    schedule: Literal["cosine", "step"] = "cosine"
    step_gamma: Annotated[float, Field(gt=0, le=1)] = 0.1  # "step": lr x gamma at 1/2 and 3/4
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
        return (
            f"{data}, {budget}, batch {self.batch_size}, SGD lr {self.lr:g} m {self.momentum:g} "
            f"wd {self.weight_decay:g} {schedule}{subset}"
        )


class BenchmarkParams(_Params):
    """Inference latency (batch 1), throughput (at `batch_size`, halved on out-of-memory) and
    training step time, each over `repeats` timed runs after `warmup` untimed ones."""

    batch_size: Annotated[int, Field(ge=1)] = 32
    repeats: Annotated[int, Field(ge=3, le=1000)] = 30
    warmup: Annotated[int, Field(ge=1, le=100)] = 5
    per_layer: bool = True
    flag_factor: Annotated[float, Field(gt=1, le=100)] = 2.0  # measured share vs share of C
    dtype: Literal["float32", "bfloat16"] = "float32"
    channels_last: bool = False

    def protocol(self) -> str:
        layout = ", channels_last" if self.channels_last else ""
        return f"benchmark, batch 1 and {self.batch_size}, {self.dtype}{layout}"
