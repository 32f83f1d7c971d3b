"""The shared vocabulary as the API returns it: the dashboard reads these names instead of
repeating them (docs/design.md, "One home per concept")."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.arch.layers import Kind
from app.arch.presets import Scale
from app.jobs.status import JobKind, JobStatus


class Prefix(BaseModel):
    factor: float = Field(description="the power of ten the prefix stands for, e.g. 1e6")
    symbol: str = Field(description='"M"')


class ScaleOut(BaseModel):
    name: Scale
    reference: str = Field(description="the preset costs at this scale are compared with (model A)")
    input_side: int = Field(description="the input side in pixels of the scale's presets")


class LayerKindOut(BaseModel):
    kind: Kind
    label: str = Field(description="the name forms and reports show")
    example: str = Field(description="a layer of this kind in the paper's notation")


class Vocabulary(BaseModel):
    job_kinds: list[JobKind] = Field(description="every kind of job")
    job_statuses: list[JobStatus] = Field(description="every job status, in lifecycle order")
    finished: list[JobStatus] = Field(description="statuses a job never leaves")
    active: list[JobStatus] = Field(description="statuses of a job still queued or running")
    unit: str = Field(description="the cost unit, a multiply-accumulate")
    unit_sentence: str = Field(description="what a cost C counts, in one line")
    convention: str = Field(description="the cost convention in full (Eqn. 1 of He & Sun)")
    prefixes: list[Prefix] = Field(description="decimal prefixes for costs, largest first")
    scales: list[ScaleOut]
    layer_kinds: list[LayerKindOut]
