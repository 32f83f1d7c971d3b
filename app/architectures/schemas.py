"""Saved architectures over HTTP, and the small field types the team-scoped endpoints share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.arch.spec import Limits, Spec
from app.designs.schemas import SpecSource

# Row ids are 32-bit integers on PostgreSQL; a larger id in a path or body must be a 422 naming
# the field, not a database overflow error (a 500).
MAX_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
ArchitectureIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL in text columns; other control characters only confuse listings.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must not contain control characters")
    return value


Printable = AfterValidator(_printable)
Trimmed = StringConstraints(strip_whitespace=True, min_length=1)
Name = Annotated[str, Trimmed, Field(max_length=Limits.max_name_length), Printable]


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
    created_at: datetime
    updated_at: datetime


class Duplicate(BaseModel):
    id: int
    name: str


class ArchitectureCreated(ArchitectureOut):
    duplicates: list[Duplicate] = Field(description="your other architectures with the same spec")


class ArchitecturePage(BaseModel):
    items: list[ArchitectureOut]
    total: int
    page: int
    per_page: int


Scope = Literal["team", "public"]
