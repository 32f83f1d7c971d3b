"""Stateless design endpoints: cost, presets, replacements, relations. No login needed."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.notation import format_spec
from app.arch.presets import preset_of, presets, reference
from app.arch.replace import Candidate, delay_subsampling, replace_segment
from app.deps import SettingsDep
from app.designs import service
from app.designs.schemas import (
    Delayed,
    DelayRequest,
    PresetOut,
    RelationsOut,
    RelationsRequest,
    ReplacementRequest,
    TimedComplexityRequest,
)
from app.errors import responses
from app.exceptions import Invalid
from app.profiles import service as profiles
from app.profiles.schemas import PredictedAnalysis

router = APIRouter(tags=["design"])


@router.post("/complexity", response_model=PredictedAnalysis, responses=responses(413, 422, 503))
def complexity(body: TimedComplexityRequest, settings: SettingsDep) -> Response:
    """Per-layer shapes and MACs, and totals (the same JSON as `isocost complexity --json`); with
    `device_profile`, each layer's predicted time and the total on that device."""
    against = body.reference.resolve(("reference",)) if body.reference else None
    analysis = body.analysis(reference=against)
    if body.device_profile is not None:
        analysis = profiles.predicted(settings, analysis, body.device_profile)
    # Already a validated model: serialise it directly rather than validate it again (the editor's hot path).
    return Response(analysis.model_dump_json(), media_type="application/json")


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


@router.post("/replacements", response_model=list[Candidate], responses=responses(413, 422))
def replacements(body: ReplacementRequest) -> list[Candidate]:
    """Replace conv layers first..last by `depth` layers of `size` filters; the missing one of
    depth and width is solved so that C stays put. Nearest in C first."""
    spec = body.resolve()
    try:
        found = replace_segment(
            spec, body.first, body.last, body.size, body.depth, body.width, body.multiple_of, body.tolerance
        )
    except SpecError as error:
        raise Invalid(error.message, str(error.loc[0]) if error.loc else None) from None
    # a candidate that is one of the paper's models says so: matched by spec identity
    return [c.model_copy(update={"preset": preset_of(c.spec)}) for c in found]


@router.post("/replacements/delayed-subsampling", response_model=Delayed, responses=responses(413, 422))
def delayed_subsampling(body: DelayRequest) -> Delayed:
    """Move pooling strides into the following conv (the paper's primed models); C is unchanged."""
    before = body.analysis()
    try:
        new = delay_subsampling(before.spec, body.pool)
    except SpecError as error:
        raise Invalid(error.message, "pool") from None
    after = analyse(new).conv_macs
    change = after / before.conv_macs - 1
    return Delayed(spec=new, notation=format_spec(new), conv_macs=after, change=change, preset=preset_of(new))


@router.post("/relations", response_model=RelationsOut, responses=responses(413, 422))
def relations(body: RelationsRequest, settings: SettingsDep) -> Response:
    """Edges between specs that differ by one replacement at matched cost (Figs. 1-3), within
    the limits on layers and pairs per request (README, "Limits")."""
    # Serialised once, not validated again on the way out: up to max_relation_pairs relations.
    return Response(service.relations(body, settings).model_dump_json(), media_type="application/json")
