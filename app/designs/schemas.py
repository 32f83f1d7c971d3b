"""Request bodies that carry a spec: as JSON, as notation, or as a preset name."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from app.arch.analysis import Analysis, analyse
from app.arch.errors import NotationError, SpecError
from app.arch.notation import parse, parse_layers
from app.arch.presets import Preset, Scale, presets
from app.arch.relations import DEFAULT_TOLERANCE, Relation
from app.arch.spec import InputShape, Limits, Spec
from app.arch.text import check_text
from app.fields import MAX_ID, Printable

Notation = Annotated[str, Field(min_length=1, max_length=20_000)]
SOURCES = ("spec", "notation", "preset")
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
    name: Annotated[str, Field(max_length=Limits.max_name_length), Printable] | None = None

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # `_exactly_one` in the OpenAPI schema: one source, given and not null (subclasses inherit it)
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["oneOf"] = [
            {"required": [key], "properties": {key: {"not": {"type": "null"}}}} for key in SOURCES
        ]
        return schema

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
                found = parse_layers(self.notation)[layer]
                raise NotationError(error.message, found["_position"], self.notation, found["_end"]) from None
            raise SpecError(error.message, (*prefix, key, *error.loc)) from None


class ComplexityRequest(SpecSource):
    reference: SpecSource | None = Field(None, description="adds relative_to: C / C_reference")


# docs/design.md, "Device profiles"
MAX_PROFILE_NAME = 100  # app.profiles.models.DeviceProfile.name


def _reference(value: object) -> int | str:
    """An id (a JSON integer) or a name (a string): one field, so an error names it plainly
    (`device_profile`, not a member of a union)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 1 <= value <= MAX_ID:
            raise ValueError(f"a profile id is 1 to {MAX_ID}")
        return value
    if isinstance(value, str):
        if not 1 <= len(value) <= MAX_PROFILE_NAME:
            raise ValueError(f"a profile name has 1 to {MAX_PROFILE_NAME} characters")
        return check_text(value)
    raise ValueError("give a device profile's id (an integer) or its name (a string)")


ProfileReference = Annotated[
    int | str,
    PlainValidator(_reference),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                {"type": "string", "minLength": 1, "maxLength": MAX_PROFILE_NAME},
            ]
        }
    ),
]


class TimedComplexityRequest(ComplexityRequest):
    device_profile: ProfileReference | None = Field(
        None, description="a device profile's id, or the newest profile of that name: adds predicted_ms"
    )


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
    preset: str | None = Field(None, description="the paper's model this spec is, if any (spec identity)")


class NamedSource(SpecSource):
    name: Annotated[str, Field(min_length=1, max_length=Limits.max_name_length), Printable]


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
