"""Teams and their API tokens over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.fields import Printable, Trimmed

TeamName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$"), Printable]
Label = Annotated[str, Trimmed, Field(max_length=64), Printable]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "vision-lab"}]})

    name: TeamName = Field(description="1-64 characters: letters, digits, '-', '_', '.'")


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str


class TeamCreated(TeamOut):
    token: str = Field(description="the team's first token; shown only now")


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"label": "laptop"}]})

    label: Label


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    prefix: str = Field(description="the token's first characters, to tell tokens apart")
    created_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="shown only now; only its SHA-256 is stored")
