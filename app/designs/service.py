"""The relation search behind POST /relations, within the request's cost limits (docs/design.md,
"Bounded cost"): each distinct spec is analysed once, the distinct specs' layers are capped, and
the candidate pairs are counted and capped before any is compared."""

from __future__ import annotations

from app.arch.analysis import Analysis, analyse
from app.arch.presets import of_scale
from app.arch.relations import TooManyPairs, find_relations
from app.arch.spec import Conv, Spec
from app.designs.schemas import RelationNode, RelationsOut, RelationsRequest
from app.exceptions import Invalid
from app.settings import Settings


def unrolled_layers(spec: Spec) -> int:
    """Layers once `xk` repeats are unrolled, counted without unrolling them."""
    return sum(layer.repeat if isinstance(layer, Conv) else 1 for layer in spec.layers)


def relations(body: RelationsRequest, settings: Settings) -> RelationsOut:
    """Nodes and relations of the chosen presets and the sent specs. Raises Invalid naming
    `specs` when their distinct layers or their candidate pairs are over the server's limits."""
    specs: dict[str, Spec] = {}
    costs: dict[str, int] = {}
    nodes: list[RelationNode] = []

    def add(name: str, analysis: Analysis, preset: bool) -> None:
        specs[name], costs[name] = analysis.spec, analysis.conv_macs
        nodes.append(
            RelationNode(name=name, notation=analysis.notation, conv_macs=analysis.conv_macs, preset=preset)
        )

    for preset in of_scale(body.presets) if body.presets else []:
        add(preset.name, analyse(preset.spec), True)
    seen: dict[str, Analysis] = {}  # a source sent again is analysed once and counted once
    layers = 0
    for i, item in enumerate(body.specs):
        if item.name in specs:
            raise Invalid(f"duplicate name {item.name!r}", f"specs[{i}].name")
        key = item.model_dump_json(exclude={"name"})
        analysis = seen.get(key)
        if analysis is None:
            analysis = seen[key] = item.analysis(("specs", i))
            layers += unrolled_layers(analysis.spec)
            if layers > settings.max_relation_layers:
                raise Invalid(
                    f"the distinct specs up to specs[{i}] have {layers:,} layers (repeats unrolled), over "
                    f"this server's limit of {settings.max_relation_layers:,} per request; send fewer",
                    "specs",
                )
        add(item.name, analysis, False)
    try:
        found = find_relations(specs, body.tolerance, conv_macs=costs, max_pairs=settings.max_relation_pairs)
    except TooManyPairs as error:
        raise Invalid(
            f"these specs give {error.pairs:,} pairs at matched cost to compare, over this server's "
            f"limit of {error.limit:,}; send fewer specs that differ in the same stage, or a smaller "
            "tolerance",
            "specs",
        ) from None
    return RelationsOut(nodes=nodes, relations=found)
