from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from app.arch.spec import Limits
from app.fields import Name, RowId


class BudgetCreate(BaseModel):
    """A name, a tolerance, and the reference cost from exactly one of: a preset, an architecture,
    or `reference_conv_macs` with `input_side`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "C-s36 +-3%", "reference_preset": "C-s36", "tolerance": 0.03},
                {"name": "6M at 36", "reference_conv_macs": 6_000_000, "input_side": 36},
            ]
        },
    )

    name: Name
    tolerance: Annotated[
        float, Field(ge=0, le=1, description="relative: |C / reference - 1| <= tolerance")
    ] = 0.05
    reference_preset: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    reference_architecture_id: RowId | None = Field(None, description="yours, or published")
    reference_conv_macs: Annotated[int, Field(ge=1, le=Limits.max_conv_macs)] | None = None
    input_side: Annotated[int, Field(ge=1, le=Limits.max_input_side)] | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> BudgetCreate:
        given = [
            key
            for key in ("reference_preset", "reference_architecture_id", "reference_conv_macs")
            if getattr(self, key) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of reference_preset, reference_architecture_id or "
                f"reference_conv_macs (got {', '.join(given) or 'none'})"
            )
        return self


class BudgetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    reference_conv_macs: int = Field(description="C of the reference: MACs per image, forward, conv layers")
    reference_preset: str | None
    reference_architecture_id: int | None
    input_side: int = Field(description="only models with this input height and width compete")
    tolerance: float
    team_id: int | None = Field(description="the team that created it; null for built-ins")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def builtin(self) -> bool:
        return self.team_id is None
