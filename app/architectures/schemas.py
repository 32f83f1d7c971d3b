"""Saved architectures over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.arch.spec import Spec
from app.designs.schemas import SpecSource
from app.fields import Name, RowId


class ArchitectureCreate(SpecSource):
    """`name` + exactly one of `spec`, `notation`, `preset` (+ optional `input`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "my-A", "preset": "A-s36", "published": False}]},
    )

    name: Name  # required here; it also names the stored spec
    parent_id: RowId | None = Field(None, description="an architecture you can see (yours or published)")
    published: bool = False


class ArchitectureUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    published: bool | None = None


class ArchitectureOut(BaseModel):
    """Read from a row of `service.select_out`: the architecture's columns plus `team_name`,
    `owned`, `in_use`, `runs` and `best_error`, computed in the same query."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    team_id: int
    team_name: str
    notation: str
    spec: Spec
    conv_macs: int = Field(description="Eqn. (1): MACs per image, forward, conv layers only")
    spec_hash: str = Field(description="SHA-256 of the canonical spec JSON, name excluded")
    parent_id: int | None
    published: bool
    owned: bool = Field(description="the architecture is your team's")
    in_use: bool = Field(description="a job used it, so it cannot be deleted")
    runs: int = Field(0, description="finished training runs (one per seed and job)")
    best_error: float | None = Field(
        None, description="lowest top-1 error (%) of those runs on a real dataset; null if none"
    )
    created_at: datetime
    updated_at: datetime


class Duplicate(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class ArchitectureCreated(ArchitectureOut):
    duplicates: list[Duplicate] = Field(description="your other architectures with the same spec")


Scope = Literal["team", "public"]
