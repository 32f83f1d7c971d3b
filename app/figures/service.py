"""Data for the figures, gathered from the engine and the database (the figure modules stay pure).

Team visibility: a team sees only its own architectures, jobs and results here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.arch.analysis import analyse
from app.arch.presets import Preset, Scale, of_scale, reference
from app.arch.relations import TooManyPairs, find_relations
from app.arch.spec import Conv, InputShape, Spec
from app.architectures.models import Architecture
from app.exceptions import Invalid
from app.figures.graph import FIGURE_TITLES, PAPER_FIGURES, transitive_reduction
from app.figures.relation_graph import GraphEdge, GraphNode
from app.jobs.models import Result
from app.settings import Settings, get_settings
from app.studies import stats
from app.teams.models import Team

View = Literal["all", "1", "2", "3"]


class RelationView(TypedDict):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    reference: str  # the reference model's name: "A" or "A-s36"
    title: str


def paper_error(preset: Preset) -> str:
    """What the paper states for the model, or "unknown" (never invented)."""
    reported = preset.reported
    if reported is None:
        return "unknown"
    parts = [
        f"{label} {value:g} %" if value is not None else f"{label} unknown"
        for label, value in (("top-1", reported.top1_error), ("top-5", reported.top5_error))
    ]
    where = "" if preset.scale == "paper" else ", for the 224 px model"
    return f"{', '.join(parts)} ({reported.protocol}{where})"


@dataclass(frozen=True)
class Measured:
    """An architecture's measured top-1 error (%): its runs under one protocol, over seeds."""

    mean: float
    std: float | None  # sample s.d.; None below 2 runs
    ci95: tuple[float, float] | None  # Student-t interval of the mean; None below 2 runs
    runs: int
    dataset: str
    protocol: str

    def text(self) -> str:
        """The one label of a result: "top-1 11.0 % (s.d. 1.4, digits, 2 seeds)"."""
        spread = f"s.d. {self.std:.1f}, " if self.std is not None else ""
        seeds = f"{self.runs} seed{'s' if self.runs != 1 else ''}"
        return f"top-1 {self.mean:.1f} % ({spread}{self.dataset}, {seeds})"


def measured_errors(session: Session, team: Team, ids: list[int]) -> dict[int, Measured]:
    """architecture id -> its measured top-1 error over the seeds of the protocol with the most
    finished training runs (the latest protocol on a tie). Runs that did not learn and runs on
    the synthetic dataset measure nothing and are left out, as on the leaderboard."""
    if not ids:
        return {}
    rows = session.execute(
        select(Result.architecture_id, Result.protocol, Result.dataset, Result.top1_error, Result.id).where(
            Result.team_id == team.id,
            Result.kind == "train",
            Result.architecture_id.in_(ids),
            Result.top1_error.is_not(None),
            Result.learned.is_(True),
            or_(Result.dataset.is_(None), Result.dataset != "synthetic"),
        )
    ).all()
    groups: dict[tuple[int, str], list[tuple[float, int, str | None]]] = defaultdict(list)
    for architecture_id, protocol, dataset, error, result_id in rows:
        if error is not None:  # the query excludes None; this tells the type checker
            groups[(architecture_id, protocol)].append((error, result_id, dataset))
    best: dict[int, tuple[tuple[int, int], str]] = {}
    for (architecture_id, protocol), values in groups.items():
        key = (len(values), max(result_id for _, result_id, _ in values))
        if architecture_id not in best or key > best[architecture_id][0]:
            best[architecture_id] = (key, protocol)
    out = {}
    for architecture_id, (_, protocol) in best.items():
        values = groups[(architecture_id, protocol)]
        summary = stats.summary([error for error, _, _ in values])
        if summary.mean is None:  # never: a group has at least one run; this tells the type checker
            continue
        dataset = next((d for _, _, d in values if d), protocol.split(",")[0])
        out[architecture_id] = Measured(
            mean=summary.mean, std=summary.std, ci95=summary.ci95, runs=summary.n, dataset=dataset,
            protocol=protocol,
        )  # fmt: skip
    return out


def _node(
    name: str, spec: Spec, macs: int, reference_macs: int, notation: str, meta: dict[str, Any]
) -> GraphNode:
    measured: Measured | None = meta["measured"]
    as_name = f" as {meta['measured_as']}" if meta["measured_as"] else ""
    result = (
        {}
        if measured is None
        else {
            "measured": measured.text() + as_name,
            "top1_error_mean": measured.mean,
            "top1_error_std": measured.std,
            "top1_error_ci95": measured.ci95,
            "runs": measured.runs,
            "dataset": measured.dataset,
            "protocol": measured.protocol,
            "measured_as": meta["measured_as"],
        }
    )
    return GraphNode(
        name=name,
        depth=sum(layer.repeat for layer in spec.layers if isinstance(layer, Conv)),
        conv_macs=macs,
        ratio=macs / reference_macs,
        kind=meta["kind"],
        id=meta["id"],
        notation=notation,
        paper=meta["paper"],
        **result,
    )


def _stored_layers(spec: dict[str, Any]) -> int:
    """Layers of a stored spec once repeats are unrolled, read from its JSON (no validation)."""
    return sum(
        layer.get("repeat", 1) if layer.get("type") == "conv" else 1 for layer in spec.get("layers", [])
    )


def _team_architectures(
    session: Session, team: Team, side: InputShape, settings: Settings
) -> tuple[list[Architecture], str]:
    """The team's newest `max_figure_architectures` architectures of input `side`, newest first,
    up to the first whose layers would take the total over `max_relation_layers`, and a note for
    the title when some were left out (docs/design.md, "Bounded cost": older architectures give
    way to newer ones rather than the figure being refused)."""
    newest = session.scalars(
        select(Architecture)
        .where(Architecture.team_id == team.id)
        .order_by(Architecture.id.desc())
        .limit(settings.max_figure_architectures)
    ).all()
    same_side = [a for a in newest if a.spec.get("input") == side.model_dump()]
    kept: list[Architecture] = []
    budget = settings.max_relation_layers
    for architecture in same_side:
        budget -= _stored_layers(architecture.spec)
        if budget < 0:
            break
        kept.append(architecture)
    left_out = len(same_side) - len(kept)
    note = f"your newest {len(kept)}; {left_out} more over {settings.max_relation_layers:,} layers"
    return kept, note if left_out else ""


def relation_view(
    session: Session | None, team: Team | None, scale: Scale, view: View, settings: Settings | None = None
) -> RelationView:
    """Nodes and edges of the relation graph of the presets at `scale`, plus the team's newest
    architectures of the same input size when `team` is given (`_team_architectures`).

    `view` "1", "2" or "3" keeps the paper's models of that figure (and team architectures linked
    to them by that figure's trade-off) and drops edges implied by others (B->E, given B->D->E).
    The cost is bounded (docs/design.md, "Bounded cost"): architectures bring their stored C and
    notation (nothing is analysed again), the search counts its pairs before comparing them, and
    a graph with more edges than `max_figure_relations` is refused, not drawn.
    """
    settings = settings or get_settings()
    chosen = of_scale(scale)
    side = chosen[0].spec.input
    reference_model = reference(scale)
    reference_macs = analyse(reference_model.spec).conv_macs
    specs: dict[str, Spec] = {p.name: p.spec for p in chosen}
    costs = {p.name: analyse(p.spec).conv_macs for p in chosen}
    notations = {p.name: p.notation for p in chosen}
    meta: dict[str, dict[str, Any]] = {
        p.name: {
            "kind": "preset",
            "id": None,
            "model": p.model,
            "paper": paper_error(p),
            "measured": None,
            "measured_as": None,
        }
        for p in chosen
    }
    note = ""  # what the title says about architectures left out
    if team is not None and session is not None:
        architectures, note = _team_architectures(session, team, side, settings)
        measured = measured_errors(session, team, [a.id for a in architectures])
        preset_by_spec = {(p.notation, p.spec.input): p.name for p in chosen}
        validated: dict[str, Spec | None] = {}  # by spec_hash: a spec saved twice is validated once
        for architecture in reversed(architectures):  # oldest first: a stable order
            if architecture.spec_hash not in validated:
                try:
                    validated[architecture.spec_hash] = Spec.model_validate(architecture.spec)
                except ValidationError:
                    validated[architecture.spec_hash] = None
            spec = validated[architecture.spec_hash]
            if spec is None:
                continue
            same = preset_by_spec.get((architecture.notation, spec.input))
            if same is not None:  # the team saved a preset: its result belongs to the preset's node
                if architecture.id in measured:
                    meta[same]["measured"] = measured[architecture.id]
                    meta[same]["measured_as"] = architecture.name
                continue
            name = (
                architecture.name
                if architecture.name not in specs
                else f"{architecture.name} (#{architecture.id})"
            )
            specs[name] = spec
            costs[name], notations[name] = architecture.conv_macs, architecture.notation
            meta[name] = {
                "kind": "architecture",
                "id": architecture.id,
                "model": None,
                "paper": "not a paper model",
                "measured": measured.get(architecture.id),
                "measured_as": None,
            }

    try:
        relations = find_relations(specs, conv_macs=costs, max_pairs=settings.max_relation_pairs)
    except TooManyPairs as error:
        raise Invalid(
            f"your architectures give {error.pairs:,} pairs at matched cost to compare, over this "
            f"server's limit of {error.limit:,}; delete some that differ in the same stage",
            "team",
        ) from None
    names = list(specs)
    if view != "all":
        figure = int(view)
        members = {
            n for n in names if meta[n]["kind"] == "preset" and meta[n]["model"] in PAPER_FIGURES[figure]
        }

        def allowed(name: str) -> bool:
            return name in members or meta[name]["kind"] == "architecture"

        relations = [r for r in relations if r.figure == figure and allowed(r.source) and allowed(r.target)]
        kept = set(transitive_reduction((r.source, r.target) for r in relations))
        relations = [r for r in relations if (r.source, r.target) in kept]
        linked = {r.source for r in relations} | {r.target for r in relations}
        names = [n for n in names if n in members or n in linked]
    if len(relations) > settings.max_figure_relations:
        raise Invalid(
            f"your architectures give {len(relations):,} relations to draw, over this server's limit "
            f"of {settings.max_figure_relations:,} per figure; pick view 1, 2 or 3, or list them with "
            "POST /api/v1/relations",
            "team",
        )

    nodes = [
        _node(name, specs[name], costs[name], reference_macs, notations[name], meta[name]) for name in names
    ]
    edges = [
        GraphEdge(r.source, r.target, r.tradeoff, r.cost_ratio, r.change, r.figure)
        for r in relations
        if r.source in names and r.target in names
    ]
    scale_text = "paper scale, 224×224 input" if scale == "paper" else f"{scale}, 36×36 input"
    title = (
        f"Relations at matched cost ({scale_text})"
        if view == "all"
        else f"{FIGURE_TITLES[int(view)]} ({scale_text})"
    ) + (f"; {note}" if note else "")
    return {"nodes": nodes, "edges": edges, "reference": reference_model.name, "title": title}
