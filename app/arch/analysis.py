"""Shape inference and time complexity, Eqn. (1) of He & Sun (2015), per layer and in total."""

from __future__ import annotations

from collections import Counter
from typing import Literal, NoReturn

from pydantic import BaseModel, Field

from app.arch.errors import SpecError
from app.arch.identity import spec_hash
from app.arch.layers import LAYER_KINDS, Kind, LayerProblem, Tensor, kind_of
from app.arch.notation import format_layer, format_spec
from app.arch.spec import AnyLayer, InputShape, Limits, Spec
from app.arch.units import CONVENTION, UNIT


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
    # null, not Infinity (which JSON cannot carry), against a reference without conv layers
    ratio: float | None = Field(
        description="this spec's C over the reference's (the paper's \"comp.\" column); "
        "null when the reference's C is 0 (it has no conv layers)"
    )


class Analysis(BaseModel):
    name: str | None
    notation: str  # canonical notation of the analysed spec
    spec_hash: str  # the design's identity (app.arch.identity)
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


def analyse(spec: Spec, reference: Spec | None = None) -> Analysis:
    """Validate the shapes of `spec` and count its cost; raises SpecError naming the layer.
    Each layer's shape rule, checks and cost come from its kind (app.arch.layers)."""
    unrolled = spec.unrolled()
    if len(unrolled) > Limits.max_layers:
        raise SpecError(
            f"{len(unrolled)} layers after repeats are unrolled; the limit is {Limits.max_layers}",
            ("layers",),
        )
    repeats = _repeat_positions(unrolled)
    tensor = Tensor(spec.input.channels, (spec.input.height, spec.input.width))
    reports: list[LayerReport] = []
    counters: dict[str, int] = {}
    for index, (position, layer) in enumerate(unrolled):
        kind = kind_of(layer)
        try:
            step = kind.step(layer, tensor)
        except LayerProblem as problem:
            _fail(position, layer, repeats[index], problem.message, problem.field)
        counters[kind.prefix] = counters.get(kind.prefix, 0) + 1
        reports.append(
            LayerReport(
                index=index,
                name=f"{kind.prefix}{counters[kind.prefix]}" if kind.numbered else kind.prefix,
                spec_index=position,
                kind=kind.kind,
                in_channels=tensor.channels,
                out_channels=step.out.channels,
                kernel=step.kernel,
                stride=step.stride,
                padding=step.padding,
                groups=step.groups,
                in_hw=tensor.hw,
                out_hw=step.out.hw,
                macs=step.macs,
                params=step.params,
                activations=step.out.channels * (step.out.hw[0] * step.out.hw[1] if step.out.hw else 1),
                share=0.0,
            )
        )
        tensor = step.out
    conv_macs = sum(r.macs for r in reports if LAYER_KINDS[r.kind].in_eqn1)
    if conv_macs > Limits.max_conv_macs:
        raise SpecError(
            f"conv cost {conv_macs:.3g} MACs exceeds the limit of {Limits.max_conv_macs:.0e} MACs per image",
            ("layers",),
        )
    params = sum(r.params for r in reports)
    if params > Limits.max_params:
        raise SpecError(f"{params:.3g} parameters exceed the limit of {Limits.max_params:.0e}", ("layers",))
    for r in reports:
        if LAYER_KINDS[r.kind].in_eqn1 and conv_macs:
            r.share = r.macs / conv_macs
    relative = None
    if reference is not None:
        ref_macs = analyse(reference).conv_macs
        ratio = conv_macs / ref_macs if ref_macs else None
        relative = Relative(name=reference.name, conv_macs=ref_macs, ratio=ratio)
    return Analysis(
        name=spec.name,
        notation=format_spec(spec),
        spec_hash=spec_hash(spec),
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


def _repeat_positions(unrolled: list[tuple[int, AnyLayer]]) -> list[tuple[int, int]]:
    """(k, of) for each unrolled layer: it is repeat k of `of` of its `xk` layer."""
    counts = Counter(position for position, _ in unrolled)
    seen: Counter[int] = Counter()
    out = []
    for position, _ in unrolled:
        seen[position] += 1
        out.append((seen[position], counts[position]))
    return out


def _fail(
    position: int, layer: AnyLayer, repeat: tuple[int, int], message: str, field: str | None = None
) -> NoReturn:
    k, of = repeat
    where = f"layers[{position}] {format_layer(layer)}" + (f" (repeat {k} of {of})" if of > 1 else "")
    raise SpecError(f"{where}: {message}", ("layers", position, field) if field else ("layers", position))
