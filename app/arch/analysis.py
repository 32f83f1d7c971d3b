"""Shape inference and time complexity, Eqn. (1) of He & Sun (2015), per layer and in total."""

from __future__ import annotations

import math
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from app.arch.errors import SpecError
from app.arch.notation import format_layer, format_spec
from app.arch.spec import FC, SPP, Conv, GlobalAvgPool, InputShape, Limits, Pool, Spec

UNIT = "MAC"
CONVENTION = (
    "multiply-accumulates (MACs) per image, forward pass. conv_macs is the paper's C, Eqn. (1) of "
    "He & Sun (2015): the sum over conv layers of in_channels/groups * size^2 * filters * "
    "H_out * W_out; no bias, pooling, ReLU or fc. fc_macs, params (biases included) and "
    "activations (output elements) are reported beside C, never in it. 1 MAC = 2 FLOPs."
)

Kind = Literal["conv", "maxpool", "avgpool", "spp", "gap", "fc"]


class LayerReport(BaseModel):
    index: int  # 0-based, over unrolled layers
    name: str  # conv1, pool1, spp, fc1 ... as in the paper's tables
    spec_index: int  # position in Spec.layers (several unrolled layers share one with `xk`)
    kind: Kind
    in_channels: int
    out_channels: int
    kernel: int | None
    stride: int | None
    padding: tuple[int, int, int, int] | None  # top, bottom, left, right
    groups: int | None
    in_hw: tuple[int, int] | None  # None once the tensor is flat
    out_hw: tuple[int, int] | None
    macs: int
    params: int
    activations: int
    share: float  # of conv_macs (C); 0 for layers outside C


class Relative(BaseModel):
    name: str | None
    conv_macs: int
    ratio: float  # this spec's C over the reference's: the paper's "comp." column


class Analysis(BaseModel):
    name: str | None
    notation: str  # canonical notation of the analysed spec
    spec: Spec
    input: InputShape
    unit: Literal["MAC"] = UNIT
    convention: str = CONVENTION
    conv_macs: int
    fc_macs: int
    params: int
    activations: int
    relative_to: Relative | None = None
    layers: list[LayerReport]


def same_padding(side: int, size: int, stride: int) -> tuple[int, int]:
    """Padding that gives ceil(side / stride) outputs; the odd pixel goes after (bottom/right)."""
    out = -(-side // stride)
    total = max((out - 1) * stride + size - side, 0)
    return total // 2, total - total // 2


def conv_padding(layer: Conv, h: int, w: int) -> tuple[int, int, int, int]:
    if layer.padding == "same":
        return (
            *same_padding(h, layer.size, layer.stride),
            *same_padding(w, layer.size, layer.stride),
        )
    if layer.padding == "valid":
        return (0, 0, 0, 0)
    if isinstance(layer.padding, int):
        return (layer.padding,) * 4
    return tuple(layer.padding)


def _window(side: int, before: int, after: int, size: int, stride: int) -> int:
    return (side + before + after - size) // stride + 1


def analyse(spec: Spec, reference: Spec | None = None) -> Analysis:
    """Validate the shapes of `spec` and count its cost; raises SpecError naming the layer."""
    unrolled = spec.unrolled()
    if len(unrolled) > Limits.max_layers:
        raise SpecError(
            f"{len(unrolled)} layers after repeats are unrolled; the limit is {Limits.max_layers}",
            ("layers",),
        )
    repeats = _repeat_positions(unrolled)
    c, h, w = spec.input.channels, spec.input.height, spec.input.width
    flat = False
    reports: list[LayerReport] = []
    counters: dict[str, int] = {}
    for index, (position, layer) in enumerate(unrolled):

        def fail(message: str, field: str | None = None) -> None:
            _fail(position, layer, repeats[index], message, field)  # noqa: B023 (raises at once)

        kind = "conv" if isinstance(layer, Conv) else layer.type
        if flat and kind != "fc":
            fail("the tensor is already flat (after spp, gap or fc); only fc layers may follow")
        in_c, in_hw = c, (None if flat else (h, w))
        kernel = stride = groups = padding = None
        macs = params = 0
        if isinstance(layer, Conv):
            if c % layer.groups or layer.filters % layer.groups:
                fail(
                    f"groups {layer.groups} must divide {c} input and {layer.filters} output channels",
                    "groups",
                )
            padding = conv_padding(layer, h, w)
            top, bottom, left, right = padding
            if h + top + bottom < layer.size or w + left + right < layer.size:
                fail(_shrinks(h, w, layer.size, "filter"), "size")
            h, w = (
                _window(h, top, bottom, layer.size, layer.stride),
                _window(w, left, right, layer.size, layer.stride),
            )
            kernel, stride, groups = layer.size, layer.stride, layer.groups
            weights = c // layer.groups * layer.size**2 * layer.filters
            macs, params, c = weights * h * w, weights + layer.filters, layer.filters
        elif isinstance(layer, Pool):
            p = layer.padding
            if h + 2 * p < layer.size or w + 2 * p < layer.size:
                fail(_shrinks(h, w, layer.size, "window"), "size")
            h, w = (
                _window(h, p, p, layer.size, layer.stride),
                _window(w, p, p, layer.size, layer.stride),
            )
            kernel, stride, padding = layer.size, layer.stride, (p,) * 4
        elif isinstance(layer, SPP):
            if max(layer.levels) > min(h, w):
                fail(
                    f"level {max(layer.levels)} needs a map of at least that side; the map is {h}x{w}",
                    "levels",
                )
            c, flat = c * sum(level * level for level in layer.levels), True
        elif isinstance(layer, GlobalAvgPool):
            flat = True
        elif isinstance(layer, FC):
            features = c if flat else c * h * w
            macs, params, c, flat = (
                features * layer.units,
                features * layer.units + layer.units,
                layer.units,
                True,
            )
        counter = "pool" if kind in ("maxpool", "avgpool") else kind
        counters[counter] = counters.get(counter, 0) + 1
        reports.append(
            LayerReport(
                index=index,
                name=counter if counter in ("spp", "gap") else f"{counter}{counters[counter]}",
                spec_index=position,
                kind=kind,
                in_channels=in_c,
                out_channels=c,
                kernel=kernel,
                stride=stride,
                padding=padding,
                groups=groups,
                in_hw=in_hw,
                out_hw=None if flat else (h, w),
                macs=macs,
                params=params,
                activations=c if flat else c * h * w,
                share=0.0,
            )
        )
    conv_macs = sum(r.macs for r in reports if r.kind == "conv")
    if conv_macs > Limits.max_conv_macs:
        raise SpecError(
            f"conv cost {conv_macs:.3g} MACs exceeds the limit of {Limits.max_conv_macs:.0e} MACs per image",
            ("layers",),
        )
    params = sum(r.params for r in reports)
    if params > Limits.max_params:
        raise SpecError(f"{params:.3g} parameters exceed the limit of {Limits.max_params:.0e}", ("layers",))
    for r in reports:
        if r.kind == "conv" and conv_macs:
            r.share = r.macs / conv_macs
    relative = None
    if reference is not None:
        ref_macs = analyse(reference).conv_macs
        ratio = conv_macs / ref_macs if ref_macs else math.inf
        relative = Relative(name=reference.name, conv_macs=ref_macs, ratio=ratio)
    return Analysis(
        name=spec.name,
        notation=format_spec(spec),
        spec=spec,
        input=spec.input,
        conv_macs=conv_macs,
        fc_macs=sum(r.macs for r in reports if r.kind == "fc"),
        params=params,
        activations=sum(r.activations for r in reports),
        relative_to=relative,
        layers=reports,
    )


def conv_macs(spec: Spec) -> int:
    """The paper's C for `spec` (validating it on the way)."""
    return analyse(spec).conv_macs


def _repeat_positions(unrolled: list) -> list[tuple[int, int]]:
    """(k, of) for each unrolled layer: it is repeat k of `of` of its `xk` layer."""
    counts = Counter(position for position, _ in unrolled)
    seen: Counter[int] = Counter()
    out = []
    for position, _ in unrolled:
        seen[position] += 1
        out.append((seen[position], counts[position]))
    return out


def _shrinks(h: int, w: int, size: int, what: str) -> str:
    return f"the {h}x{w} input map is smaller than the {size}x{size} {what}; the map would shrink below 1x1"


def _fail(position: int, layer, repeat: tuple[int, int], message: str, field: str | None = None):
    k, of = repeat
    where = f"layers[{position}] {format_layer(layer)}" + (f" (repeat {k} of {of})" if of > 1 else "")
    raise SpecError(f"{where}: {message}", ("layers", position, field) if field else ("layers", position))
