"""The layer kinds, as data (docs/design.md, "Layer kinds").

One table maps each kind to everything the engine knows about it: its label, how it is written
in the paper's notation (parsed and printed), its shape rule with its checks, its cost, and its
role in a relation (a conv inside a stage, a pool between stages, or the head). The analysis, the
notation and the relation finder read this table; `worker/build.py` has the matching table from
kind to torch module. Adding a kind is one pydantic class in `spec.py`, one entry here, one there.

Costs follow Eqn. (1) of He & Sun (2015): a kind with `in_eqn1` counts toward C; every count is
per image, forward pass, in multiply-accumulates (`app.arch.units`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from app.arch.spec import FC, SPP, AnyLayer, Conv, GlobalAvgPool, Pool
from app.arch.tokens import Tokens

Kind = Literal["conv", "maxpool", "avgpool", "spp", "gap", "fc"]
Fields = dict[str, Any]  # a layer's fields as parsed from notation, before validation
Token = tuple[Any, ...]  # a layer's identity, as the relation finder compares it
Role = Literal["conv", "pool", "head"]  # within a stage, between stages, after the last stage


@dataclass(frozen=True)
class Tensor:
    """The tensor between two layers, per image: channels (features once flat) and its map."""

    channels: int
    hw: tuple[int, int] | None  # None once flat (after spp, gap or fc)


@dataclass(frozen=True)
class Step:
    """What one layer does: its output, its cost, and the geometry the report shows."""

    out: Tensor
    macs: int = 0
    params: int = 0
    kernel: int | None = None
    stride: int | None = None
    padding: tuple[int, int, int, int] | None = None  # top, bottom, left, right
    groups: int | None = None


class LayerProblem(ValueError):
    """A layer that does not fit its input; `field` names the layer's field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class LayerKind:
    kind: Kind
    label: str  # "convolution", shown in forms and reports
    example: str  # a notation example
    keywords: tuple[str, ...]  # the notation tokens that start a layer of this kind
    prefix: str  # report names: conv1, pool1, spp, gap, fc1
    numbered: bool  # conv1, conv2 ... (False: one name, "spp")
    role: Role
    in_eqn1: bool  # counted in the paper's C
    step: Callable[[Any, Tensor], Step]  # shape rule, checks and cost; raises LayerProblem
    write: Callable[[Any], str]  # the layer in canonical notation
    read: Callable[[Tokens, str], Fields]  # the layer's fields, after its keyword was read
    token: Callable[[Any, bool], Token]  # identity for the relation finder (strides kept or erased)


# -- geometry --------------------------------------------------------------------------------


def same_padding(side: int, size: int, stride: int) -> tuple[int, int]:
    """Padding that gives ceil(side / stride) outputs; the odd pixel goes after (bottom/right)."""
    out = -(-side // stride)
    total = max((out - 1) * stride + size - side, 0)
    return total // 2, total - total // 2


def conv_padding(layer: Conv, h: int, w: int) -> tuple[int, int, int, int]:
    if layer.padding == "same":
        return (*same_padding(h, layer.size, layer.stride), *same_padding(w, layer.size, layer.stride))
    if layer.padding == "valid":
        return (0, 0, 0, 0)
    if isinstance(layer.padding, int):
        return (layer.padding,) * 4
    top, bottom, left, right = layer.padding
    return (top, bottom, left, right)


def _window(side: int, before: int, after: int, size: int, stride: int) -> int:
    return (side + before + after - size) // stride + 1


def _map(x: Tensor) -> tuple[int, int]:
    if x.hw is None:
        raise LayerProblem("the tensor is already flat (after spp, gap or fc); only fc layers may follow")
    return x.hw


def _shrinks(h: int, w: int, size: int, what: str) -> LayerProblem:
    return LayerProblem(
        f"the {h}x{w} input map is smaller than the {size}x{size} {what}; the map would shrink below 1x1",
        "size",
    )


# -- conv -------------------------------------------------------------------------------------


def _conv_step(layer: Conv, x: Tensor) -> Step:
    h, w = _map(x)
    if x.channels % layer.groups or layer.filters % layer.groups:
        raise LayerProblem(
            f"groups {layer.groups} must divide {x.channels} input and {layer.filters} output channels",
            "groups",
        )
    top, bottom, left, right = padding = conv_padding(layer, h, w)
    if h + top + bottom < layer.size or w + left + right < layer.size:
        raise _shrinks(h, w, layer.size, "filter")
    oh = _window(h, top, bottom, layer.size, layer.stride)
    ow = _window(w, left, right, layer.size, layer.stride)
    weights = x.channels // layer.groups * layer.size**2 * layer.filters
    return Step(
        Tensor(layer.filters, (oh, ow)), weights * oh * ow, weights + layer.filters,
        layer.size, layer.stride, padding, layer.groups,
    )  # fmt: skip


def _conv_write(layer: Conv) -> str:
    text = f"({layer.size},{layer.filters})"
    if layer.stride != 1:
        text += f"/{layer.stride}"
    if layer.repeat != 1:
        text += f"x{layer.repeat}"
    if layer.padding == "valid":
        text += " valid"
    elif isinstance(layer.padding, int):
        text += f" pad {layer.padding}"
    elif isinstance(layer.padding, tuple):
        text += " pad " + ":".join(map(str, layer.padding))
    if layer.groups != 1:
        text += f" groups {layer.groups}"
    return text


def _conv_read(t: Tokens, _: str) -> Fields:
    layer: Fields = {"type": "conv", "size": t.integer("the filter size after '('")}
    t.expect(",", "',' between filter size and number of filters")
    layer["filters"] = t.integer("the number of filters")
    t.expect(")", "')' after the number of filters")
    if t.accept("/"):
        layer["stride"] = t.integer("a stride after '/'")
    if t.accept("x") or t.accept("×"):
        layer["repeat"] = t.integer("a repeat count after 'x'")
    while True:
        if t.accept("valid") or t.accept("same"):
            layer["padding"] = t.previous()
        elif t.accept("pad"):
            sides = [t.integer("a padding after 'pad'")]
            while t.accept(":"):
                sides.append(t.integer("a padding amount"))
            if len(sides) not in (1, 4):
                raise t.fail("one padding or four (top:bottom:left:right)")
            layer["padding"] = sides[0] if len(sides) == 1 else sides
        elif t.accept("groups"):
            layer["groups"] = t.integer("a group count after 'groups'")
        else:
            return layer


def _conv_token(layer: Conv, strides: bool) -> Token:
    return ("conv", layer.size, layer.filters, layer.stride if strides else 0, layer.padding, layer.groups)


# -- pooling ----------------------------------------------------------------------------------


def _pool_step(layer: Pool, x: Tensor) -> Step:
    h, w = _map(x)
    p, stride = layer.padding, layer.stride or layer.size
    if h + 2 * p < layer.size or w + 2 * p < layer.size:
        raise _shrinks(h, w, layer.size, "window")
    out = (_window(h, p, p, layer.size, stride), _window(w, p, p, layer.size, stride))
    return Step(Tensor(x.channels, out), kernel=layer.size, stride=stride, padding=(p,) * 4)


def _pool_write(layer: Pool) -> str:
    word = "pool" if layer.type == "maxpool" else "avgpool"
    text = f"{word} {layer.size}" + (f"/{layer.stride}" if layer.stride != layer.size else "")
    return text + (f" pad {layer.padding}" if layer.padding else "")


def _pool_read(t: Tokens, word: str) -> Fields:
    layer: Fields = {"type": "avgpool" if word == "avgpool" else "maxpool"}
    layer["size"] = t.integer(f"a window size after '{word}'")
    if t.accept("/"):
        layer["stride"] = t.integer("a stride after '/'")
    if t.accept("pad"):
        layer["padding"] = t.integer("a padding after 'pad'")
    return layer


def _pool_token(layer: Pool, strides: bool) -> Token:
    return (layer.type, layer.size, layer.stride if strides else 0, layer.padding)


# -- the head: spp, gap, fc ---------------------------------------------------------------------


def _spp_step(layer: SPP, x: Tensor) -> Step:
    h, w = _map(x)
    if max(layer.levels) > min(h, w):
        raise LayerProblem(
            f"level {max(layer.levels)} needs a map of at least that side; the map is {h}x{w}", "levels"
        )
    return Step(Tensor(x.channels * sum(level * level for level in layer.levels), None))


def _spp_read(t: Tokens, _: str) -> Fields:
    t.expect("(", "'(' after spp")
    levels = [t.integer("a pyramid level")]
    while t.accept(","):
        levels.append(t.integer("a pyramid level"))
    t.expect(")", "')' closing the spp levels")
    return {"type": "spp", "levels": levels}


def _gap_step(layer: GlobalAvgPool, x: Tensor) -> Step:
    _map(x)
    return Step(Tensor(x.channels, None))


def _fc_step(layer: FC, x: Tensor) -> Step:
    features = x.channels if x.hw is None else x.channels * x.hw[0] * x.hw[1]
    macs = features * layer.units
    return Step(Tensor(layer.units, None), macs, macs + layer.units)


def _fc_read(t: Tokens, _: str) -> Fields:
    layer: Fields = {"type": "fc", "units": t.integer("the number of fc units")}
    if t.accept("drop"):
        layer["dropout"] = t.decimal("a dropout rate such as 0.5")
    return layer


def _fc_write(layer: FC) -> str:
    return f"fc {layer.units}" + (f" drop {layer.dropout:g}" if layer.dropout else "")


# fmt: off
LAYER_KINDS: dict[str, LayerKind] = {
    kind.kind: kind
    for kind in (
        LayerKind(
            "conv", "convolution", "(3,64)/2", ("(",), "conv", True, "conv", True,
            _conv_step, _conv_write, _conv_read, _conv_token,
        ),
        LayerKind("maxpool", "max pooling", "pool 3/2", ("pool", "maxpool"), "pool", True, "pool", False,
                  _pool_step, _pool_write, _pool_read, _pool_token),
        LayerKind("avgpool", "average pooling", "avgpool 3/2", ("avgpool",), "pool", True, "pool", False,
                  _pool_step, _pool_write, _pool_read, _pool_token),
        LayerKind(
            "spp", "spatial pyramid pooling", "spp(6,3,2,1)", ("spp",), "spp", False, "head", False,
            _spp_step, lambda layer: "spp(" + ",".join(map(str, layer.levels)) + ")", _spp_read,
            lambda layer, _: ("spp", layer.levels),
        ),
        LayerKind(
            "gap", "global average pooling", "gap", ("gap",), "gap", False, "head", False,
            _gap_step, lambda _: "gap", lambda _t, _w: {"type": "gap"}, lambda _l, _s: ("gap",),
        ),
        LayerKind(
            "fc", "fully connected", "fc 4096 drop 0.5", ("fc",), "fc", True, "head", False,
            _fc_step, _fc_write, _fc_read, lambda layer, _: ("fc", layer.units, layer.dropout),
        ),
    )
}
# fmt: on
assert set(LAYER_KINDS) == set(get_args(Kind)), "every Kind has exactly one entry"

# notation keyword -> kind ("pool" and "maxpool" both start a max pool)
KEYWORDS: dict[str, LayerKind] = {}
for _kind in LAYER_KINDS.values():
    for _word in _kind.keywords:
        KEYWORDS.setdefault(_word, _kind)


def kind_of(layer: AnyLayer) -> LayerKind:
    return LAYER_KINDS[layer.type]
