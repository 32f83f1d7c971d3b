"""Stateless design endpoints: cost, presets, replacements, relations. No login needed."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.arch.analysis import Analysis, analyse
from app.arch.errors import SpecError
from app.arch.notation import format_spec
from app.arch.presets import of_scale, presets, reference
from app.arch.relations import find_relations
from app.arch.replace import Candidate, delay_subsampling, replace_segment
from app.arch.spec import Spec
from app.designs.schemas import (
    ComplexityRequest,
    Delayed,
    DelayRequest,
    PresetOut,
    RelationNode,
    RelationsOut,
    RelationsRequest,
    ReplacementRequest,
)
from app.exceptions import Invalid

router = APIRouter(tags=["design"])


@router.post("/complexity", response_model=Analysis)
def complexity(body: ComplexityRequest) -> Response:
    """Per-layer shapes and MACs, and totals (the same JSON as `isocost complexity --json`)."""
    against = body.reference.resolve(("reference",)) if body.reference else None
    # Already a validated model: serialise it directly rather than validate it again (the editor's hot path).
    return Response(body.analysis(reference=against).model_dump_json(), media_type="application/json")


@router.get("/presets", response_model=list[PresetOut])
def list_presets() -> list[PresetOut]:
    """The paper's models A-J and B', D', E', J' at paper scale (224) and at s36."""
    out = []
    for preset in presets().values():
        analysis = analyse(preset.spec, reference(preset.scale).spec)
        assert analysis.relative_to is not None  # given a reference, analyse always relates to it
        out.append(
            PresetOut(
                **preset.model_dump(), conv_macs=analysis.conv_macs, ratio_to_a=analysis.relative_to.ratio
            )
        )
    return out


@router.post("/replacements", response_model=list[Candidate])
def replacements(body: ReplacementRequest) -> list[Candidate]:
    """Replace conv layers first..last by `depth` layers of `size` filters; the missing one of
    depth and width is solved so that C stays put. Nearest in C first."""
    spec = body.resolve()
    try:
        return replace_segment(
            spec, body.first, body.last, body.size, body.depth, body.width, body.multiple_of, body.tolerance
        )
    except SpecError as error:
        raise Invalid(error.message, str(error.loc[0]) if error.loc else None) from None


@router.post("/replacements/delayed-subsampling", response_model=Delayed)
def delayed_subsampling(body: DelayRequest) -> Delayed:
    """Move pooling strides into the following conv (the paper's primed models); C is unchanged."""
    before = body.analysis()
    try:
        new = delay_subsampling(before.spec, body.pool)
    except SpecError as error:
        raise Invalid(error.message, "pool") from None
    after = analyse(new).conv_macs
    return Delayed(spec=new, notation=format_spec(new), conv_macs=after, change=after / before.conv_macs - 1)


@router.post("/relations", response_model=RelationsOut)
def relations(body: RelationsRequest) -> RelationsOut:
    """Edges between specs that differ by one replacement at matched cost (Figs. 1-3)."""
    specs: dict[str, Spec] = {}
    chosen_presets = of_scale(body.presets) if body.presets else []
    for preset in chosen_presets:
        specs[preset.name] = preset.spec
    for i, item in enumerate(body.specs):
        if item.name in specs:
            raise Invalid(f"duplicate name {item.name!r}", f"specs[{i}].name")
        specs[item.name] = item.resolve(("specs", i))
    nodes = [
        RelationNode(
            name=name,
            notation=format_spec(spec),
            conv_macs=analyse(spec).conv_macs,
            preset=i < len(chosen_presets),
        )
        for i, (name, spec) in enumerate(specs.items())
    ]
    return RelationsOut(nodes=nodes, relations=find_relations(specs, body.tolerance))
