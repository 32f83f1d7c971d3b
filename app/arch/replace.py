"""Layer replacements that keep the time cost C fixed (He & Sun 2015, Sec. 3).

A segment of consecutive conv layers (within one stage) becomes `depth` layers of filter size
`size`: the first keeps the segment's input channels and stride, the last keeps its output
channels, the ones between share one width. Given two of (depth, size, width) the third is solved
from Eqn. (1); every candidate's C is then counted exactly by `analyse`.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.notation import format_run, format_spec
from app.arch.spec import Conv, Limits, Pool, Spec, compact, expand


class Candidate(BaseModel):
    spec: Spec
    notation: str
    depth: int
    size: int
    width: int  # of the layers between the first input and the last output
    conv_macs: int
    change: float  # relative change of C against the original spec
    within_tolerance: bool
    description: str
    # the paper's model this candidate is, by spec identity (app.arch.presets.preset_of), or None
    preset: str | None = None


def replace_segment(
    spec: Spec,
    first: int,
    last: int,
    size: int,
    depth: int | None = None,
    width: int | None = None,
    multiple_of: int = 1,
    tolerance: float = 0.05,
) -> list[Candidate]:
    """Candidates replacing conv layers `first`..`last` (1-based, inclusive: conv3..conv5 is 3, 5),
    nearest in C first. Give `depth` (width solved), `width` (depth solved) or both."""
    if depth is None and width is None:
        raise SpecError("give the replacement's depth, its width, or both", ("depth",))
    if not 1 <= size <= Limits.max_kernel:
        raise SpecError(f"filter size must be 1 to {Limits.max_kernel}", ("size",))
    if multiple_of < 1:
        raise SpecError("multiple_of must be at least 1", ("multiple_of",))
    before = analyse(spec)
    unrolled = expand(spec)
    conv_at = [i for i, layer in enumerate(unrolled) if isinstance(layer, Conv)]
    if not 1 <= first <= last <= len(conv_at):
        raise SpecError(
            f"conv layers {first}..{last} do not exist: the spec has conv1..conv{len(conv_at)}",
            ("first",),
        )
    start, stop = conv_at[first - 1], conv_at[last - 1]
    if stop - start != last - first:
        raise SpecError(
            f"conv{first}..conv{last} span a pooling layer: a replacement stays within one stage",
            ("last",),
        )
    segment = [layer for layer in unrolled[start : stop + 1] if isinstance(layer, Conv)]  # all convs
    strided = [k for k, layer in enumerate(segment[1:], start=first + 1) if layer.stride != 1]
    if strided:
        raise SpecError(
            f"conv{strided[0]} is strided: only the first layer of a segment may subsample",
            ("last",),
        )
    stride = segment[0].stride
    reports = before.layers[start : stop + 1]
    c_in, c_out = reports[0].in_channels, reports[-1].out_channels
    assert reports[-1].out_hw is not None  # a conv's output is a map
    h, w = reports[-1].out_hw
    # Eqn. (1) for the replacement, divided by m^2 s^2:  c_in*x + (depth-2)*x^2 + x*c_out
    target = sum(r.macs for r in reports) / (h * w * size * size)

    def build(d: int, x: int) -> list[Conv]:
        widths = [x] * (d - 1) + [c_out]
        return [Conv(filters=n, size=size, stride=stride if k == 0 else 1) for k, n in enumerate(widths)]

    shapes: set[tuple[int, int]] = set()
    if depth is not None and width is not None:
        shapes.add((depth, width))
    elif depth is not None:
        if depth == 1:
            shapes.add((1, c_out))
        else:
            a, b = depth - 2, c_in + c_out
            exact = target / b if a == 0 else (-b + math.sqrt(b * b + 4 * a * target)) / (2 * a)
            shapes.update((depth, x) for x in _neighbours(exact, multiple_of))
    else:
        assert width is not None
        exact = 2 + (target - (c_in + c_out) * width) / (width * width)
        shapes.update((d, width) for d in {max(1, math.floor(exact)), max(1, math.ceil(exact))})
    candidates = []
    for d, x in sorted(shapes):
        if not (1 <= d <= Limits.max_layers and 1 <= x <= Limits.max_width):
            continue
        replacement = build(d, x)
        new = spec.model_copy(
            update={
                "layers": compact([*unrolled[:start], *replacement, *unrolled[stop + 1 :]]),
                "name": None,
            }
        )
        after = analyse(new).conv_macs
        change = after / before.conv_macs - 1
        candidates.append(
            Candidate(
                spec=new,
                notation=format_spec(new),
                depth=d,
                size=size,
                width=x,
                conv_macs=after,
                change=change,
                within_tolerance=abs(change) <= tolerance,
                description=f"conv{first}..conv{last}: {format_run(segment)} -> {format_run(replacement)}",
            )
        )
    if not candidates:
        raise SpecError("no replacement of that shape fits the limits", ("depth",))
    return sorted(candidates, key=lambda c: (abs(c.change), c.depth))


def _neighbours(exact: float, step: int) -> set[int]:
    """The multiples of `step` on either side of `exact` (at least `step`)."""
    low = max(step, math.floor(exact / step) * step)
    return {low, low + step} if exact > low else {low}


def delay_subsampling(spec: Spec, pool: int | None = None) -> Spec:
    """Move pooling strides into the conv that follows (the paper's "primed" models).

    Pool `pool` (1-based: pool1 is the first pooling layer), or every pool that is followed by a
    "same"-padded conv, keeps its window but gets stride 1; the conv's stride is multiplied by the
    pool's. The conv's output map is unchanged (ceil((n-k+1)/t) == floor((n-k)/t)+1), so C is too.
    """
    unrolled = expand(spec)
    pools = [i for i, layer in enumerate(unrolled) if isinstance(layer, Pool)]
    if pool is not None and not 1 <= pool <= len(pools):
        raise SpecError(f"pool{pool} does not exist: the spec has {len(pools)} pooling layers", ("pool",))
    chosen = pools if pool is None else [pools[pool - 1]]
    moved = 0
    for i in chosen:
        layer, following = unrolled[i], unrolled[i + 1] if i + 1 < len(unrolled) else None
        assert isinstance(layer, Pool)
        pool_stride = layer.stride or layer.size
        reason = None
        if pool_stride == 1:
            reason = "already has stride 1"
        elif not isinstance(following, Conv):
            reason = "is not followed by a conv layer"
        elif following.padding != "same":
            reason = "is followed by a conv that is not 'same'-padded, whose map would change"
        elif following.stride * pool_stride > Limits.max_kernel:
            reason = "would give the next conv a stride above the limit"
        if reason:
            if pool is not None:
                raise SpecError(f"pool{pool} {reason}", ("pool",))
            continue
        assert isinstance(following, Conv)  # no reason: the chain above checked it
        unrolled[i + 1] = following.model_copy(update={"stride": following.stride * pool_stride})
        unrolled[i] = layer.model_copy(update={"stride": 1})
        moved += 1
    if not moved:
        raise SpecError("no pooling layer can pass its stride to a following 'same'-padded conv", ("pool",))
    new = spec.model_copy(update={"layers": compact(unrolled), "name": None})
    analyse(new)
    return new
