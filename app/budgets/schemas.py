"""A budget's input and output. The input is one body with three forms, told apart by `metric`
(docs/design.md, "Device profiles"): a cost C ("macs", the default), a batch-1 time on a device
profile ("latency_ms"), or images/s at a batch size on a device profile ("throughput"). Each form
refuses the others' fields by name."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    computed_field,
    field_validator,
    model_validator,
)

from app.arch.spec import Limits
from app.budgets.models import METRIC_UNITS
from app.designs.schemas import ProfileReference
from app.fields import Name, Printable, RowId
from app.profiles.schemas import ProfileRef

Tolerance = Annotated[float, Field(ge=0, le=1, description="relative: |value / reference - 1| <= tolerance")]
Preset = Annotated[str, Field(min_length=1, max_length=16)]
Side = Annotated[int, Field(ge=1, le=Limits.max_input_side)]
# A time or a rate: positive and finite (JSON has no Infinity; 1e9 ms is eleven days per image).
Value = Annotated[float, Field(gt=0, le=1e9)]
METRICS = ", ".join(repr(metric) for metric in METRIC_UNITS)


def _one_of(body: BaseModel, keys: tuple[str, ...]) -> None:
    given = [key for key in keys if getattr(body, key) is not None]
    if len(given) != 1:
        raise ValueError(
            f"give exactly one of {', '.join(keys[:-1])} or {keys[-1]} (got {', '.join(given) or 'none'})"
        )


class _Create(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    tolerance: Tolerance = 0.05


class MacsBudgetCreate(_Create):
    """A reference cost C from exactly one of: a preset, an architecture, or
    `reference_conv_macs` with `input_side`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "C-s36 +-3%", "reference_preset": "C-s36", "tolerance": 0.03},
                {"name": "6M at 36", "reference_conv_macs": 6_000_000, "input_side": 36},
            ]
        }
    )

    metric: Literal["macs"] = "macs"
    reference_preset: Preset | None = None
    reference_architecture_id: RowId | None = Field(None, description="yours, or published")
    reference_conv_macs: Annotated[int, Field(ge=1, le=Limits.max_conv_macs)] | None = None
    input_side: Side | None = None

    @field_validator("metric", mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if value != "macs":  # the other metrics have forms of their own: this one is the fallback
            raise ValueError(f"give one of {METRICS}")
        return value

    @model_validator(mode="after")
    def _one_reference(self) -> MacsBudgetCreate:
        _one_of(self, ("reference_preset", "reference_architecture_id", "reference_conv_macs"))
        return self


class _TimeCreate(_Create):
    device_profile: ProfileReference = Field(
        description="a device profile's id, or the newest profile of that name: the device, dtype and "
        "layout whose benchmarks are compared"
    )
    device: Annotated[str, Field(min_length=1, max_length=200), Printable] | None = Field(
        None, description="optional: the device the budget is meant for; the profile must be of it"
    )
    reference_value: Value | None = None
    input_side: Side | None = Field(None, description="with reference_value: the input size that competes")


class LatencyBudgetCreate(_TimeCreate):
    """Batch-1 milliseconds on a device profile, from exactly one of: a preset or an architecture
    (its time predicted on the profile, and marked so), or `reference_value` (ms) with
    `input_side`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "A-s36 on my CPU", "metric": "latency_ms", "device_profile": 1, "reference_preset": "A-s36"},
                {"name": "2 ms at 36", "metric": "latency_ms", "device_profile": 1, "reference_value": 2.0,
                 "input_side": 36, "tolerance": 0.1},
            ]
        }
    )  # fmt: skip

    metric: Literal["latency_ms"]
    reference_preset: Preset | None = None
    reference_architecture_id: RowId | None = Field(None, description="yours, or published")
    reference_value: Value | None = Field(None, description="milliseconds per image at batch 1")

    @model_validator(mode="after")
    def _one_reference(self) -> LatencyBudgetCreate:
        _one_of(self, ("reference_preset", "reference_architecture_id", "reference_value"))
        return self


class ThroughputBudgetCreate(_TimeCreate):
    """Images/s at `batch_size` on a device profile, given as a number: a profile predicts batch-1
    times only, so it cannot supply a throughput."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "5k/s at 32", "metric": "throughput", "device_profile": 1, "batch_size": 32,
                 "reference_value": 5000, "input_side": 36},
            ]
        }
    )  # fmt: skip

    metric: Literal["throughput"]
    batch_size: Annotated[
        int, Field(ge=1, description="the benchmarks' batch; at most ISOCOST_MAX_BATCH_SIZE")
    ]
    reference_value: Value = Field(description="images per second at batch_size")
    input_side: Side = Field(description="only models of this input size compete")


def _metric(value: Any) -> str:
    """The form of the body, so only its fields are validated and its errors name the field as
    the client wrote it (the "<tag>" is dropped: app.exceptions.field_name). An unknown metric
    falls to the cost form, whose `metric` check names the field."""
    metric = value.get("metric", "macs") if isinstance(value, dict) else getattr(value, "metric", "macs")
    return f"<{metric}>" if metric in ("latency_ms", "throughput") else "<macs>"


BudgetCreate = Annotated[
    Annotated[MacsBudgetCreate, Tag("<macs>")]
    | Annotated[LatencyBudgetCreate, Tag("<latency_ms>")]
    | Annotated[ThroughputBudgetCreate, Tag("<throughput>")],
    Discriminator(_metric),
]
TimeBudgetCreate = LatencyBudgetCreate | ThroughputBudgetCreate


class BudgetProfile(ProfileRef):
    """The device profile a time budget is on."""

    model_config = ConfigDict(from_attributes=True)

    threads: int | None


class BudgetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    metric: str = Field(description=f"{METRICS}: what the budget compares")
    reference_conv_macs: int | None = Field(
        description="C of the reference: MACs per image, forward, conv layers; null for a time budget"
    )
    reference_preset: str | None
    reference_architecture_id: int | None
    input_side: int = Field(description="only models with this input height and width compete")
    tolerance: float
    reference_value: float | None = Field(description="time budgets: the reference in `unit`")
    reference_predicted: bool = Field(
        description="the reference value is the profile's prediction for the reference design, not a measurement"
    )
    batch_size: int | None = Field(description="time budgets: the batch the time is at (1 for latency_ms)")
    device_profile: BudgetProfile | None = Field(description="time budgets: the device profile")
    team_id: int | None = Field(description="the team that created it; null for built-ins")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def builtin(self) -> bool:
        return self.team_id is None

    @computed_field(description='"MAC", "ms" (per image, batch 1) or "images/s"')  # type: ignore[prop-decorator]
    @property
    def unit(self) -> str:
        return METRIC_UNITS.get(self.metric, self.metric)
