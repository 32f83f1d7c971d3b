"""Request bodies that carry a spec: as JSON, as notation, or as a preset name."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.arch.analysis import Analysis, analyse
from app.arch.errors import NotationError, SpecError
from app.arch.notation import parse, parse_layers
from app.arch.presets import Preset, Scale, presets
from app.arch.relations import DEFAULT_TOLERANCE, Relation
from app.arch.spec import InputShape, Limits, Spec

Notation = Annotated[str, Field(min_length=1, max_length=20_000)]
Loc = tuple[str | int, ...]  # a pydantic-style location, as SpecError.loc


class SpecSource(BaseModel):
    """Exactly one of `spec`, `notation` or `preset`; `input` overrides the input shape."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"notation": "(7,64)/2 valid + pool 3 | (5,128) + pool 2 | (3,256)x3"}]
        },
    )

    spec: Spec | None = None
    notation: Notation | None = None
    preset: Annotated[str, Field(max_length=16)] | None = None
    input: InputShape | None = None
    name: Annotated[str, Field(max_length=Limits.max_name_length)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SpecSource:
        given = [key for key in ("spec", "notation", "preset") if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of spec, notation or preset (got {', '.join(given) or 'none'})"
            )
        return self

    def resolve(self, prefix: Loc = ()) -> Spec:
        """The spec, validated by analysis; errors carry `prefix` + the field (for nested sources)."""
        return self.analysis(prefix).spec

    def analysis(self, prefix: Loc = (), reference: Spec | None = None) -> Analysis:
        """Analyse the spec (once); errors name the field as `resolve` does."""
        key = next(k for k in ("spec", "notation", "preset") if getattr(self, k) is not None)
        try:
            if self.preset is not None:
                if self.preset not in presets():
                    raise SpecError(f"no preset {self.preset!r}; see GET /api/v1/presets", ())
                spec = presets()[self.preset].spec
            elif self.notation is not None:
                spec = parse(self.notation)
            else:
                assert self.spec is not None  # _exactly_one: the one source left
                spec = self.spec
            updates = {k: v for k, v in (("input", self.input), ("name", self.name)) if v is not None}
            return analyse(spec.model_copy(update=updates) if updates else spec, reference)
        except NotationError as error:
            error.loc = (*prefix, "notation")
            raise
        except SpecError as error:
            layer = error.loc[1] if len(error.loc) > 1 and error.loc[0] == "layers" else None
            if self.notation is not None and isinstance(layer, int):
                # point at the layer's first character in the notation the user typed
                position = parse_layers(self.notation)[layer]["_position"]
                raise NotationError(error.message, position, self.notation) from None
            raise SpecError(error.message, (*prefix, key, *error.loc)) from None


class ComplexityRequest(SpecSource):
    reference: SpecSource | None = Field(None, description="adds relative_to: C / C_reference")


class PresetOut(Preset):
    conv_macs: int
    ratio_to_a: float  # C over model A's at the same scale


class ReplacementRequest(SpecSource):
    first: Annotated[int, Field(ge=1, description="first conv layer to replace (conv1 is 1)")]
    last: Annotated[int, Field(ge=1, description="last conv layer to replace, inclusive")]
    size: Annotated[int, Field(ge=1, le=Limits.max_kernel)]
    depth: Annotated[int, Field(ge=1, le=Limits.max_layers)] | None = None
    width: Annotated[int, Field(ge=1, le=Limits.max_width)] | None = None
    multiple_of: Annotated[int, Field(ge=1, le=256)] = 1
    tolerance: Annotated[float, Field(ge=0, le=1)] = 0.05


class DelayRequest(SpecSource):
    pool: Annotated[int, Field(ge=1)] | None = Field(
        None, description="pool number (pool1 is 1); all if omitted"
    )


class Delayed(BaseModel):
    spec: Spec
    notation: str
    conv_macs: int
    change: float


class NamedSource(SpecSource):
    name: Annotated[str, Field(min_length=1, max_length=Limits.max_name_length)]


class RelationsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specs: Annotated[list[NamedSource], Field(max_length=1000)] = []
    presets: Scale | None = Field(None, description="include the paper's models at this scale")
    tolerance: Annotated[float, Field(ge=0, le=1)] = DEFAULT_TOLERANCE


class RelationNode(BaseModel):
    name: str
    notation: str
    conv_macs: int
    preset: bool


class RelationsOut(BaseModel):
    nodes: list[RelationNode]
    relations: list[Relation]
