"""The paper's models A-J and the primed B', D', E', J', at paper scale (224) and at s36.

Reconstructed from two independent public re-implementations (docs/design.md, "The paper's models"). The
paper's per-model errors could not be recovered, so none is recorded: only J', most likely the
paper's final model, carries the one figure the paper states for it.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel

from app.arch.identity import spec_hash
from app.arch.notation import format_spec, parse
from app.arch.relations import relate
from app.arch.replace import delay_subsampling
from app.arch.spec import Conv, InputShape, Spec, expand

Scale = Literal["paper", "s36"]
SCALES: tuple[Scale, ...] = ("paper", "s36")
REFERENCE_MODEL = "A"  # the paper's "comp." column is relative to model A

# stage 2 (36x36), stage 3 (18x18), stage 4 (6x6, after a 3/3 pool) at paper scale.
_STAGES: dict[str, tuple[str, str, str | None]] = {
    "A": ("(5,128)", "(3,256)x3", None),
    "B": ("(5,128)", "(2,256)x6", None),
    "C": ("(3,128)x2", "(3,256)x3", None),
    "D": ("(3,128)x2", "(2,256)x6", None),
    "E": ("(2,128)x4", "(2,256)x6", None),
    "F": ("(5,128)", "(3,160)x5+(3,256)", None),
    "G": ("(5,128)", "(3,128)x8+(3,256)", None),
    "H": ("(3,64)x3+(3,128)", "(3,256)x3", None),
    "I": ("(3,64)x3+(3,128)", "(2,256)x6", None),
    "J": ("(2,128)x4", "(2,256)x4", "(2,2304)+(2,256)"),
}
# The model each one differs from by one replacement (docs/design.md, "Relations").
_PARENTS = {
    "B": "A",
    "C": "A",
    "D": "B",
    "E": "D",
    "F": "A",
    "G": "F",
    "H": "C",
    "I": "D",
    "J": "E",
}
_PRIMED = ("B", "D", "E", "J")

_SCALES = {
    # stem, head, input side, width divisor
    "paper": (
        "(7,64)/2 valid + pool 3",
        "spp(6,3,2,1) + fc 4096 drop 0.5 + fc 4096 drop 0.5 + fc 1000",
        224,
        1,
    ),
    "s36": ("(3,16) + pool 3", "spp(2,1) + fc 512 drop 0.5 + fc 512 drop 0.5 + fc 10", 36, 4),
}


class Reported(BaseModel):
    """A result stated in the paper; a field the paper does not state is None ("unknown")."""

    top1_error: float | None
    top5_error: float | None
    protocol: str
    note: str


class Preset(BaseModel):
    name: str  # "A", "J'", "A-s36"
    model: str  # "A" ... "J'": the same model at either scale
    scale: Scale
    spec: Spec
    notation: str
    parent: str | None
    replacement: str | None  # what changed from the parent, derived from the two specs
    reported: Reported | None  # None: the paper's figure for this model is unknown


_J_PRIME = Reported(
    top1_error=None,
    top5_error=11.8,
    protocol="ImageNet val, 10-view test, after 75 epochs",
    note="J' is most likely the paper's final model (11.8% top-5 against AlexNet's 16.0%).",
)


def _scaled(fragment: str, divisor: int) -> str:
    spec = parse(fragment)
    layers = [
        layer.model_copy(update={"filters": layer.filters // divisor}) if isinstance(layer, Conv) else layer
        for layer in spec.layers
    ]
    return format_spec(spec.model_copy(update={"layers": layers}))


def _suffix(scale: str) -> str:
    return "" if scale == "paper" else f"-{scale}"


@cache
def presets() -> dict[str, Preset]:
    out: dict[str, Preset] = {}
    for scale, (stem, head, side, divisor) in _SCALES.items():
        suffix = _suffix(scale)
        specs: dict[str, Spec] = {}
        for model, (stage2, stage3, stage4) in _STAGES.items():
            body = f"{stem} | {_scaled(stage2, divisor)} + pool 2 | {_scaled(stage3, divisor)}"
            if stage4:
                body += f" + pool 3 | {_scaled(stage4, divisor)}"
            specs[model] = parse(f"{body} + {head}", InputShape(height=side, width=side))
        for model in _PRIMED:
            specs[model + "'"] = delay_subsampling(specs[model])
        parents = {**_PARENTS, **{model + "'": model for model in _PRIMED}}
        for model, spec in specs.items():
            parent = parents.get(model)
            relation = parent and relate(parent, expand(specs[parent]), model, expand(spec))
            name = model + suffix
            out[name] = Preset(
                name=name,
                model=model,
                scale=scale,
                spec=spec.model_copy(update={"name": name}),
                notation=format_spec(spec),
                parent=parent and parent + suffix,
                replacement=relation.change if relation else None,
                reported=_J_PRIME if model == "J'" else None,
            )
    return out


def preset(name: str) -> Preset:
    """A preset by name: "A" ... "J'" at paper scale, "A-s36" ... "J'-s36" (case-sensitive)."""
    return presets()[name]


def preset_name(model: str, scale: Scale) -> str:
    """ "A", "paper" -> "A"; "A", "s36" -> "A-s36"."""
    return model + _suffix(scale)


def reference(scale: Scale) -> Preset:
    """The reference model of a scale: A at 224 px, A-s36 at s36."""
    return presets()[preset_name(REFERENCE_MODEL, scale)]


def of_scale(scale: Scale) -> list[Preset]:
    """The presets of one scale, in the paper's order."""
    return [p for p in presets().values() if p.scale == scale]


@cache
def _by_hash() -> dict[str, str]:
    return {spec_hash(p.spec): p.name for p in presets().values()}


def preset_of(spec: Spec) -> str | None:
    """The preset that is the same network as `spec` (docs/design.md, "Spec identity"), or None:
    a replacement candidate that lands on one of the paper's models says so ("= model F")."""
    return _by_hash().get(spec_hash(spec))
