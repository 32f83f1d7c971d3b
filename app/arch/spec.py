"""The layer-stack spec: a declarative, JSON-serialisable description of a CNN.

Field-level checks (positive sizes, documented limits) live here; checks that need the shapes
(a map shrinking below 1x1, groups that do not divide channels, the cost limit) live in
`analysis.analyse`, which every consumer calls before trusting a spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.arch.text import Printable


class Limits:
    """Documented limits on a spec (README, "Limits"). They keep every request cheap to analyse
    and every count exact in a JavaScript double (conv MACs <= 1e13 < 2**53)."""

    max_layers = 512  # after `xk` repeats are unrolled
    max_width = 16384  # filters per conv, units per fc, input channels
    max_input_side = 4096
    max_kernel = 64
    max_conv_macs = 10**13  # per image
    max_params = 10**10
    max_spp_level = 64
    max_name_length = 100


PositiveInt = Annotated[int, Field(ge=1)]
Width = Annotated[int, Field(ge=1, le=Limits.max_width)]
Kernel = Annotated[int, Field(ge=1, le=Limits.max_kernel)]
Side = Annotated[int, Field(ge=1, le=Limits.max_input_side)]
PadAmount = Annotated[int, Field(ge=0, le=Limits.max_kernel)]
# "same" keeps the map at ceil(side / stride) (odd pixel at the bottom/right, as PyTorch and
# TensorFlow do); "valid" pads nothing; an int pads every side; a 4-list is [top, bottom, left, right].
Padding = Literal["same", "valid"] | PadAmount | tuple[PadAmount, PadAmount, PadAmount, PadAmount]


def _tag_required(schema: dict[str, Any]) -> None:
    # A layer is told apart by `type` (the union's discriminator): one sent without it is refused,
    # although Python code may leave it out. The OpenAPI schema says what a client must send.
    if "type" in schema.get("properties", {}) and "type" not in schema.get("required", []):
        schema["required"] = ["type", *schema.get("required", [])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_tag_required)


class InputShape(_Strict):
    channels: Width = 3
    height: Side = 224
    width: Side = 224


class Conv(_Strict):
    """`(size, filters)/stride x repeat`: a convolution followed by ReLU."""

    type: Literal["conv"] = "conv"
    filters: Width
    size: Kernel
    stride: Kernel = 1
    padding: Padding = "same"
    groups: Width = 1
    repeat: Annotated[int, Field(ge=1, le=Limits.max_layers)] = 1


class Pool(_Strict):
    """Max or average pooling; the paper's "3x3 pool" is size 3 and stride 3."""

    type: Literal["maxpool", "avgpool"] = "maxpool"
    size: Kernel
    stride: Kernel | None = None  # None means "same as size"; normalised on construction
    padding: PadAmount = 0

    @model_validator(mode="after")
    def _check(self) -> Pool:
        if self.stride is None:
            object.__setattr__(self, "stride", self.size)
        if self.padding > self.size // 2:
            raise ValueError(f"padding {self.padding} exceeds half the window ({self.size})")
        return self


class SPP(_Strict):
    """Spatial pyramid pooling (max pool to levels x levels bins per level), then flatten."""

    type: Literal["spp"] = "spp"
    levels: Annotated[
        tuple[Annotated[int, Field(ge=1, le=Limits.max_spp_level)], ...],
        Field(min_length=1, max_length=8),
    ]


class GlobalAvgPool(_Strict):
    type: Literal["gap"] = "gap"


class FC(_Strict):
    """A fully-connected layer (ReLU after it unless it is the last layer, the classifier)."""

    type: Literal["fc"] = "fc"
    units: Width
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0


AnyLayer = Conv | Pool | SPP | GlobalAvgPool | FC  # a new kind also gets an entry in app/arch/layers.py
Layer = Annotated[AnyLayer, Field(discriminator="type")]


class Spec(_Strict):
    """A whole network: its input and its layers, in order. The last fc is the classifier."""

    name: Annotated[str, Field(max_length=Limits.max_name_length), Printable] | None = None
    input: InputShape = InputShape()
    layers: Annotated[list[Layer], Field(min_length=1, max_length=Limits.max_layers)]

    @property
    def num_classes(self) -> int | None:
        last = self.layers[-1]
        return last.units if isinstance(last, FC) else None

    def with_classes(self, classes: int) -> Spec:
        """The same network with its classifier sized for `classes` (appended if it has none).
        Conv cost, the paper's C, is unchanged."""
        classifier = FC(units=classes)
        layers = list(self.layers)
        if isinstance(layers[-1], FC):
            layers[-1] = classifier
        else:
            layers.append(classifier)
        return self.model_copy(update={"layers": layers})

    def unrolled(self) -> list[tuple[int, AnyLayer]]:
        """(index in `layers`, layer) for every layer, with `xk` repeats expanded to repeat=1."""
        out: list[tuple[int, AnyLayer]] = []
        for position, layer in enumerate(self.layers):
            if isinstance(layer, Conv) and layer.repeat > 1:
                single = layer.model_copy(update={"repeat": 1})
                out.extend((position, single) for _ in range(layer.repeat))
            else:
                out.append((position, layer))
        return out


def expand(spec: Spec) -> list[AnyLayer]:
    """The layers of `spec` with `xk` repeats expanded, one entry per real layer."""
    return [layer for _, layer in spec.unrolled()]


def compact(layers: Sequence[AnyLayer]) -> list[AnyLayer]:
    """Merge runs of identical consecutive convs into one layer with `repeat` (the `xk` form)."""
    out: list[AnyLayer] = []
    for layer in layers:
        previous = out[-1] if out else None
        if isinstance(layer, Conv) and isinstance(previous, Conv) and _shape(previous) == _shape(layer):
            out[-1] = previous.model_copy(update={"repeat": previous.repeat + layer.repeat})
        else:
            out.append(layer)
    return out


def _shape(conv: Conv) -> tuple[object, ...]:
    return (conv.filters, conv.size, conv.stride, conv.padding, conv.groups)
