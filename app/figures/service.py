"""Data for the figures, gathered from the engine and the database (the figure modules stay pure).

Team visibility: a team sees only its own architectures, jobs and results here.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean
from typing import Any, Literal, TypedDict

from pydantic import ValidationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.arch.analysis import analyse
from app.arch.notation import format_spec
from app.arch.presets import Preset, Scale, of_scale, reference
from app.arch.relations import find_relations
from app.arch.spec import Conv, Spec, expand
from app.architectures.models import Architecture
from app.figures.graph import FIGURE_TITLES, PAPER_FIGURES, transitive_reduction
from app.figures.relation_graph import GraphEdge, GraphNode
from app.jobs.models import Result
from app.teams.models import Team

View = Literal["all", "1", "2", "3"]
MAX_TEAM_NODES = 200


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


def measured_errors(session: Session, team: Team, ids: list[int]) -> dict[int, str]:
    """architecture id -> "top-1 12.3 % (digits, 3 seeds)": the mean over the seeds of the
    protocol with the most finished training runs (the latest protocol on a tie)."""
    if not ids:
        return {}
    rows = session.execute(
        select(Result.architecture_id, Result.protocol, Result.top1_error, Result.id).where(
            Result.team_id == team.id,
            Result.kind == "train",
            Result.architecture_id.in_(ids),
            Result.top1_error.is_not(None),
            or_(Result.dataset.is_(None), Result.dataset != "synthetic"),
        )
    ).all()
    groups: dict[tuple[int, str], list[tuple[float, int]]] = defaultdict(list)
    for architecture_id, protocol, error, result_id in rows:
        if error is not None:  # the query excludes None; this tells the type checker
            groups[(architecture_id, protocol)].append((error, result_id))
    best: dict[int, tuple[tuple[int, int], str, list[float]]] = {}
    for (architecture_id, protocol), values in groups.items():
        key = (len(values), max(result_id for _, result_id in values))
        if architecture_id not in best or key > best[architecture_id][0]:
            best[architecture_id] = (key, protocol, [error for error, _ in values])
    out = {}
    for architecture_id, (_, protocol, errors) in best.items():
        dataset = protocol.split(",")[0]
        seeds = f"{len(errors)} seed{'s' if len(errors) != 1 else ''}"
        out[architecture_id] = f"top-1 {fmean(errors):.1f} % ({dataset}, {seeds})"
    return out


def relation_view(session: Session | None, team: Team | None, scale: Scale, view: View) -> RelationView:
    """Nodes and edges of the relation graph of the presets at `scale`, plus the team's
    architectures of the same input size when `team` is given.

    `view` "1", "2" or "3" keeps the paper's models of that figure (and team architectures linked
    to them by that figure's trade-off) and drops edges implied by others (B->E, given B->D->E).
    """
    chosen = of_scale(scale)
    side = chosen[0].spec.input
    reference_model = reference(scale)
    reference_macs = analyse(reference_model.spec).conv_macs
    specs: dict[str, Spec] = {p.name: p.spec for p in chosen}
    meta: dict[str, dict[str, Any]] = {
        p.name: {"kind": "preset", "id": None, "model": p.model, "paper": paper_error(p), "measured": None}
        for p in chosen
    }
    if team is not None and session is not None:
        architectures = session.scalars(
            select(Architecture)
            .where(Architecture.team_id == team.id)
            .order_by(Architecture.id.desc())
            .limit(MAX_TEAM_NODES)
        ).all()
        measured = measured_errors(session, team, [a.id for a in architectures])
        preset_by_spec = {(p.notation, p.spec.input): p.name for p in chosen}
        for architecture in reversed(architectures):  # oldest first: a stable order
            try:
                spec = Spec.model_validate(architecture.spec)
            except ValidationError:
                continue
            if spec.input != side:
                continue
            same = preset_by_spec.get((format_spec(spec), spec.input))
            if same is not None:  # the team saved a preset: its result belongs to the preset's node
                if architecture.id in measured:
                    meta[same]["measured"] = f"{measured[architecture.id]} as {architecture.name}"
                continue
            name = (
                architecture.name
                if architecture.name not in specs
                else f"{architecture.name} (#{architecture.id})"
            )
            specs[name] = spec.model_copy(update={"name": name})
            meta[name] = {
                "kind": "architecture",
                "id": architecture.id,
                "model": None,
                "paper": "not a paper model",
                "measured": measured.get(architecture.id),
            }

    relations = find_relations(specs)
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

    nodes = []
    for name in names:
        spec = specs[name]
        macs = analyse(spec).conv_macs
        nodes.append(
            GraphNode(
                name=name,
                depth=sum(isinstance(layer, Conv) for layer in expand(spec)),
                conv_macs=macs,
                ratio=macs / reference_macs,
                kind=meta[name]["kind"],
                id=meta[name]["id"],
                notation=format_spec(spec),
                measured=meta[name]["measured"],
                paper=meta[name]["paper"],
            )
        )
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
    )
    return {"nodes": nodes, "edges": edges, "reference": reference_model.name, "title": title}
