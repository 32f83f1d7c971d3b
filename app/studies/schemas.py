"""A study's request and its answer (docs/api.md, "Studies")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, GetJsonSchemaHandler, Tag, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.arch.claims import Basis, Expectation, FigureChoice
from app.arch.presets import Scale
from app.designs.schemas import SpecSource
from app.fields import MAX_ID, Name, RowId
from app.jobs.params import DEFAULT_EPOCHS
from app.studies.stats import Verdict

Seed = Annotated[int, Field(ge=0, le=MAX_ID)]
Rate = Annotated[float, Field(gt=0, le=10)]
StudyStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
_KEYS = ("spec", "notation", "preset", "architecture_id")


class ModelSource(SpecSource):
    """One model: a `name` and exactly one of `spec`, `notation`, `preset` or `architecture_id`."""

    name: Name  # required here
    architecture_id: RowId | None = None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["oneOf"] = [
            {"required": [key], "properties": {key: {"not": {"type": "null"}}}} for key in _KEYS
        ]
        return schema

    @model_validator(mode="after")
    def _exactly_one(self) -> ModelSource:  # replaces SpecSource's: architecture_id counts too
        given = [key for key in _KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of spec, notation, preset or architecture_id (got {', '.join(given) or 'none'})"
            )
        return self


class PaperModels(BaseModel):
    """The paper's models of one figure (1, 2, 3) or all fourteen, at one scale."""

    model_config = ConfigDict(extra="forbid", strict=True)

    figure: FigureChoice
    scale: Scale = "s36"


class Replacements(BaseModel):
    """A base design and the variants the replacement solver finds for it at equal cost."""

    model_config = ConfigDict(extra="forbid")

    replacements_of: SpecSource
    name: Name | None = Field(None, description="the base model's name (default: its spec's, else 'base')")


def _models_kind(value: Any) -> str | None:
    """Which form `models` takes, so that only that form is validated and its errors name the
    field as the client wrote it (the "<tag>" is dropped: app.exceptions.field_name)."""
    if isinstance(value, list):
        return "<list>"
    if isinstance(value, PaperModels):
        return "<figure>"
    if isinstance(value, Replacements) or (isinstance(value, dict) and "replacements_of" in value):
        return "<replacements>"
    return "<figure>" if isinstance(value, dict) else None


Models = Annotated[
    Annotated[list[ModelSource], Field(min_length=1), Tag("<list>")]
    | Annotated[PaperModels, Tag("<figure>")]
    | Annotated[Replacements, Tag("<replacements>")],
    Discriminator(
        _models_kind,
        custom_error_type="models",
        custom_error_message="give a list of models, {figure, scale} for the paper's models, or {replacements_of}",
    ),
]


class StudyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "figure 1 at s36", "models": {"figure": 1, "scale": "s36"}},
                {
                    "name": "two designs",
                    "models": [{"name": "A", "preset": "A-s36"}, {"name": "mine", "architecture_id": 7}],
                    "protocol": {"epochs": 20},
                    "seeds": [0, 1, 2, 3, 4],
                },
            ]
        },
    )

    name: Name
    models: Models = Field(
        description="a list of ModelSource; or {figure: 1|2|3|'all', scale: 's36'|'paper'} for the paper's "
        "models; or {replacements_of: SpecSource} for a design and its replacements at equal cost"
    )
    protocol: dict[str, Any] | None = Field(
        None,
        description=f"TrainParams without the seed; omitted: the default protocol (digits, {DEFAULT_EPOCHS} epochs)",
    )
    seeds: Annotated[list[Seed], Field(min_length=1, max_length=10)] = [0, 1, 2]
    lr_sweep: Annotated[list[Rate], Field(min_length=1, max_length=8)] | None = Field(
        None, description="train each model at each rate; it is reported at its best on the validation split"
    )
    queue: Literal["gpu", "cpu"] | None = Field(
        None, description="default: the server's ISOCOST_DEFAULT_QUEUE"
    )


class Progress(BaseModel):
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0
    fraction: float = Field(0.0, description="of all jobs' progress, 0..1")


class RunOut(BaseModel):
    job_id: int
    seed: int
    lr: float
    status: str
    progress: float
    top1_error: float | None
    learned: bool | None = Field(description="null until the job has a result")
    train_seconds: float | None
    error: str | None


class ModelOut(BaseModel):
    name: str
    architecture_id: int
    notation: str
    conv_macs: int
    depth: int = Field(description="conv layers")
    paper_model: str | None = Field(description="the paper's model this is (spec identity): A ... J'")
    lr: float | None = Field(description="the rate its statistics are at: the best on validation when swept")
    runs: list[RunOut]
    n: int = Field(description="runs that learned, at `lr`: what the statistics are over")
    top1_error_mean: float | None
    top1_error_std: float | None
    top1_error_ci95: tuple[float, float] | None
    learned: bool | None = Field(description="null until a run finished; false if no finished run learned")
    did_not_learn: int = Field(description="finished runs that did not learn (left out of the statistics)")


class ClaimOut(BaseModel):
    text: str
    basis: Basis
    expects: Expectation | None
    source: str
    supported: bool | None = Field(
        description="the verdict is what the claim expects; null: no claim or no verdict"
    )


class ComparisonOut(BaseModel):
    source: str
    target: str
    figure: int | None
    tradeoff: str
    change: str
    difference: float | None = Field(description="target minus source mean top-1 error, percentage points")
    ci95: tuple[float, float] | None
    p_value: float | None = Field(description="Welch's t-test")
    verdict: Verdict | None = Field(description="null while a side has fewer than 2 runs that learned")
    claim: ClaimOut


class StudySummary(BaseModel):
    id: int
    name: str
    status: StudyStatus
    progress: Progress
    models: int
    created_at: datetime


class StudyOut(BaseModel):
    id: int
    name: str
    status: StudyStatus
    progress: Progress
    protocol: dict[str, Any] = Field(description="TrainParams without the seed")
    protocol_text: str
    seeds: list[int]
    lr_sweep: list[float] | None
    source: dict[str, Any] = Field(description="how the models were asked for")
    created_at: datetime
    cancelled_at: datetime | None
    models: list[ModelOut]
    comparisons: list[ComparisonOut]


class StudyFigures(BaseModel):
    results: dict[str, Any] = Field(description="plotly figure JSON: error against depth per paper figure")
    curves: dict[str, Any] = Field(description="plotly figure JSON: validation curves, mean and band")
