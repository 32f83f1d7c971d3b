"""The relation graph (docs/design.md, "Relations"): models placed by depth, arrows between models
of matched cost coloured by the trade-off they make. Positions come from `app.figures.graph`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import plotly.graph_objects as go

from app.figures.graph import edge_curve, layered_layout
from app.figures.markup import plain
from app.figures.style import GRID_COLOUR, OTHER_COLOUR, base_layout, empty_figure, figure_json

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TRADEOFF_COLOURS = {
    "depth vs filter size": "#0072B2",
    "depth vs width": "#D55E00",
    "width vs filter size": "#009E73",
    "depth vs width and filter size": "#E69F00",
    "stride/pooling": "#CC79A7",
}
_NODE_STYLES = (
    ("preset", "#334e68", "paper's model (preset)"),
    ("architecture", "#2b8a3e", "team architecture"),
)

Point = tuple[float, float]


@dataclass(frozen=True)
class GraphNode:
    name: str
    depth: int  # number of conv layers: the x position
    conv_macs: int
    ratio: float  # C over the reference model's (model A at the node's scale)
    kind: Literal["preset", "architecture"] = "preset"
    id: int | None = None  # the architecture's id
    notation: str = ""
    measured: str | None = None  # e.g. "top-1 12.3 % (3 seeds)"; None: no result yet
    paper: str = "unknown"  # the paper's error for the model; "unknown" unless the paper states it


@dataclass(frozen=True)
class GraphEdge:
    source: str
    target: str
    tradeoff: str
    cost_ratio: float
    change: str = ""
    figure: int | None = None


def relation_graph(
    nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], reference: str, title: str | None = None
) -> dict[str, Any]:
    """The relation graph: nodes at (depth, slot) from `layered_layout`, arrows coloured by
    trade-off. Node customdata is [kind, name, id] so a click can open the node in the editor."""
    if not nodes:
        return empty_figure("No models to relate", title, height=320)
    names = {node.name for node in nodes}
    edges = [edge for edge in edges if edge.source in names and edge.target in names]
    position = layered_layout(
        {node.name: node.depth for node in nodes}, [(e.source, e.target) for e in edges]
    )
    data: list[go.Scatter] = []
    annotations: list[dict[str, Any]] = []
    for tradeoff in _ordered(edge.tradeoff for edge in edges):
        group = [edge for edge in edges if edge.tradeoff == tradeoff]
        data += _edge_traces(tradeoff, group, position, annotations)
    for kind, colour, legend in _NODE_STYLES:
        of_kind = [node for node in nodes if node.kind == kind]
        if of_kind:
            data.append(_node_trace(of_kind, position, reference, colour, legend))

    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    tallest = max(sum(1 for p in position.values() if p[0] == x) for x in set(xs))
    fig = go.Figure(
        data=data,
        layout=base_layout(
            title,
            height=max(380, 118 * tallest + 140),
            annotations=annotations,
            hovermode="closest",
            xaxis={
                "title": {"text": "depth (number of conv layers)"},
                "dtick": 1,
                "range": [min(xs) - 0.8, max(xs) + 0.8],
                "zeroline": False,
                "showgrid": True,
                "gridcolor": GRID_COLOUR,
                "fixedrange": True,
            },
            yaxis={"visible": False, "range": [min(ys) - 1.0, max(ys) + 0.6], "fixedrange": True},
            margin={"l": 24, "r": 24, "t": 48, "b": 110},
            meta={"edges": [[e.source, e.target, e.tradeoff] for e in edges]},
        ),
    )
    return figure_json(fig)


def _edge_traces(
    tradeoff: str,
    group: Sequence[GraphEdge],
    position: dict[str, Point],
    annotations: list[dict[str, Any]],
) -> list[go.Scatter]:
    """One trade-off's curves (a single trace, broken by None) and the markers at their middles
    that carry the hover text; appends each edge's arrowhead to `annotations`."""
    colour = TRADEOFF_COLOURS.get(tradeoff, OTHER_COLOUR)
    xs: list[float | None] = []
    ys: list[float | None] = []
    middles = []
    for edge in group:
        curve = edge_curve(position[edge.source], position[edge.target])
        xs += [x for x, _ in curve] + [None]
        ys += [y for _, y in curve] + [None]
        middles.append(curve[len(curve) // 2])
        annotations.append(_arrowhead(curve[-3], curve[-1], colour))
    lines = go.Scatter(
        name=plain(tradeoff),
        legendgroup=tradeoff,
        x=xs,
        y=ys,
        mode="lines",
        line={"color": colour, "width": 2},
        hoverinfo="skip",
    )
    # A marker at each edge's middle: the hover target of the edge.
    markers = go.Scatter(
        name=plain(tradeoff),
        legendgroup=tradeoff,
        showlegend=False,
        x=[x for x, _ in middles],
        y=[y for _, y in middles],
        mode="markers",
        marker={"symbol": "diamond", "size": 8, "color": colour},
        hovertext=[
            f"{plain(e.source)} → {plain(e.target)}: {plain(e.tradeoff)}<br>C ratio {e.cost_ratio:.3f}"
            + (f"<br>{plain(e.change)}" if e.change else "")
            for e in group
        ],
        hoverinfo="text",
        customdata=[["edge", e.source, e.target] for e in group],  # not drawn: stays raw
    )
    return [lines, markers]


def _arrowhead(tail: Point, tip: Point, colour: str) -> dict[str, Any]:
    (ax, ay), (x, y) = tail, tip
    return {
        "x": x,
        "y": y,
        "ax": ax,
        "ay": ay,
        "xref": "x",
        "yref": "y",
        "axref": "x",
        "ayref": "y",
        "text": "",
        "showarrow": True,
        "arrowhead": 2,
        "arrowsize": 1.3,
        "arrowwidth": 2,
        "arrowcolor": colour,
        "standoff": 10,
    }


def _node_trace(
    group: Sequence[GraphNode], position: dict[str, Point], reference: str, colour: str, legend: str
) -> go.Scatter:
    ref = plain(reference)

    def label(node: GraphNode) -> str:  # short: the hover text has the protocol and seeds
        measured = node.measured.split(" (")[0] if node.measured else "no result yet"
        return f"<b>{plain(node.name)}</b><br>{node.ratio:.3f}× {ref}<br>{plain(measured)}"

    def hover(node: GraphNode) -> str:
        return (
            f"<b>{plain(node.name)}</b> ({'preset' if node.kind == 'preset' else 'team architecture'})"
            f"<br>{plain(node.notation)}<br>C = {node.conv_macs:,} MACs per image, {node.ratio:.3f}× {ref}"
            f"<br>{node.depth} conv layers<br>measured: {plain(node.measured or 'no result yet')}"
            f"<br>paper's error: {plain(node.paper)}<br>click to open in the editor"
        )

    return go.Scatter(
        name=legend,
        x=[position[n.name][0] for n in group],
        y=[position[n.name][1] for n in group],
        mode="markers+text",
        text=[label(n) for n in group],
        textposition="bottom center",
        textfont={"size": 11},
        marker={"size": 18, "color": colour, "line": {"color": "white", "width": 2}},
        hovertext=[hover(n) for n in group],
        hoverinfo="text",
        customdata=[[n.kind, n.name, n.id] for n in group],  # read by the click handler, not drawn
    )


def _ordered(values: Iterable[str]) -> list[str]:
    """Trade-offs in the legend's order: the known ones first, then any other alphabetically."""
    present = set(values)
    known = [name for name in TRADEOFF_COLOURS if name in present]
    return known + sorted(present - set(known))
