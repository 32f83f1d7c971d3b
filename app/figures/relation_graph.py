"""The relation graph (docs/design.md, "Relations"): models placed by depth, arrows between models
of matched cost coloured by the trade-off they make. y is the measured top-1 error once any model
has a result (`app.figures.relation_measured`, the others drawn apart); until then it is only a
layout (`app.figures.graph`), and the axis says so."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import plotly.graph_objects as go
from pydantic import Field

from app.figures.graph import edge_curve, layered_layout
from app.figures.markup import plain
from app.figures.relation_measured import MARGIN, NO_RESULT, interval_bars, place_by_error
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
_NODE_COLOURS = {kind: colour for kind, colour, _ in _NODE_STYLES}

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
    measured: str | None = None  # e.g. "top-1 12.3 % (s.d. 0.4, digits, 3 seeds)"; None: no result yet
    paper: str = "unknown"  # the paper's error for the model; "unknown" unless the paper states it
    # the team's measured result (app.figures.service.measured_errors); None or 0: none yet
    top1_error_mean: Annotated[
        float | None, Field(description="measured top-1 error (%), mean over seeds; null: no result yet")
    ] = None
    top1_error_std: Annotated[
        float | None, Field(description="sample standard deviation over seeds (%); null below 2 seeds")
    ] = None
    top1_error_ci95: Annotated[
        tuple[float, float] | None,
        Field(description="95% Student-t interval of the mean (%), as computed; null below 2 seeds"),
    ] = None
    runs: Annotated[int, Field(description="training runs (seeds) in the mean; 0: no result yet")] = 0
    dataset: Annotated[str | None, Field(description="the dataset of the runs")] = None
    protocol: Annotated[str | None, Field(description="the protocol of the runs (all but the seed)")] = None
    measured_as: Annotated[
        str | None, Field(description="a preset's node: the team architecture (same spec) measured")
    ] = None


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
    """The relation graph: nodes at (depth, measured top-1 error) when any has a result, else at
    (depth, slot) from `layered_layout`; arrows coloured by trade-off. Node customdata is
    [kind, name, id] so a click can open the node in the editor."""
    if not nodes:
        return empty_figure("No models to relate", title, height=320)
    names = {node.name for node in nodes}
    edges = [edge for edge in edges if edge.source in names and edge.target in names]
    pairs = [(e.source, e.target) for e in edges]
    measured = [node for node in nodes if node.top1_error_mean is not None]
    placed = None
    if measured:
        placed = place_by_error(
            {n.name: (n.depth, n.top1_error_mean or 0.0, n.top1_error_ci95) for n in measured},
            {n.name: n.depth for n in nodes if n.top1_error_mean is None},
            pairs,
        )
        position, stretch = placed.position, placed.stretch
    else:
        position, stretch = layered_layout({node.name: node.depth for node in nodes}, pairs), 1.0
    data: list[go.Scatter] = []
    annotations: list[dict[str, Any]] = []
    for tradeoff in _ordered(edge.tradeoff for edge in edges):
        group = [edge for edge in edges if edge.tradeoff == tradeoff]
        data += _edge_traces(tradeoff, group, position, annotations, stretch)
    for kind, colour, legend in _NODE_STYLES:
        of_kind = [
            node
            for node in nodes
            if node.kind == kind and (placed is None or node.top1_error_mean is not None)
        ]
        if of_kind:
            data.append(
                _node_trace(of_kind, position, reference, colour, legend, "measured" if placed else "layout")
            )
    unmeasured = [node for node in nodes if node.top1_error_mean is None]
    if placed is not None and unmeasured:
        data.append(_node_trace(unmeasured, position, reference, OTHER_COLOUR, NO_RESULT, "apart"))

    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    xaxis = {
        "title": {"text": "depth (number of conv layers)"},
        "dtick": 1,
        "range": [min(xs) - 0.8, max(xs) + (1.2 if placed else 0.8)],
        "zeroline": False,
        "showgrid": True,
        "gridcolor": GRID_COLOUR,
        "fixedrange": True,
    }
    meta = {"edges": [[e.source, e.target, e.tradeoff] for e in edges], "y": "layout"}
    if placed is not None:
        protocols = {n.protocol for n in measured}
        if len(protocols) > 1:  # a mean of each model's own protocol: say so, never hide it
            annotations.append(_note(f"results under {len(protocols)} protocols: compare with care"))
        layout = base_layout(
            title, height=placed.height, annotations=annotations + placed.annotations, shapes=placed.shapes,
            hovermode="closest", xaxis=xaxis, yaxis=placed.yaxis, margin=MARGIN,
            meta={**meta, "y": "measured top-1 error"},
        )  # fmt: skip
        return figure_json(go.Figure(data=data, layout=layout))
    tallest = max(sum(1 for p in position.values() if p[0] == x) for x in set(xs))
    yaxis = {
        "title": {"text": "y: layout only (no measured results)", "font": {"size": 12, "color": OTHER_COLOUR}},
        "showticklabels": False, "showgrid": False, "zeroline": False, "ticks": "",
        "range": [min(ys) - 1.0, max(ys) + 0.6], "fixedrange": True,
    }  # fmt: skip
    layout = base_layout(
        title, height=max(380, 118 * tallest + 140), annotations=annotations, hovermode="closest",
        xaxis=xaxis, yaxis=yaxis, margin={"l": 40, "r": 24, "t": 48, "b": 110}, meta=meta,
    )  # fmt: skip
    return figure_json(go.Figure(data=data, layout=layout))


def _note(text: str) -> dict[str, Any]:
    return {"text": plain(text), "showarrow": False, "xref": "paper", "yref": "paper", "x": 1, "y": 1,
            "xanchor": "right", "yanchor": "bottom", "font": {"size": 12, "color": OTHER_COLOUR}}  # fmt: skip


def _edge_traces(
    tradeoff: str,
    group: Sequence[GraphEdge],
    position: dict[str, Point],
    annotations: list[dict[str, Any]],
    stretch: float = 1.0,
) -> list[go.Scatter]:
    """One trade-off's curves (a single trace, broken by None) and the markers at their middles
    that carry the hover text; appends each edge's arrowhead to `annotations`. `stretch`: the y
    units that look as long as one x unit, so a curve bends alike whatever y measures."""
    colour = TRADEOFF_COLOURS.get(tradeoff, OTHER_COLOUR)
    xs: list[float | None] = []
    ys: list[float | None] = []
    middles = []
    for edge in group:
        (x0, y0), (x1, y1) = position[edge.source], position[edge.target]
        curve = [(x, y * stretch) for x, y in edge_curve((x0, y0 / stretch), (x1, y1 / stretch))]
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
    group: Sequence[GraphNode],
    position: dict[str, Point],
    reference: str,
    colour: str,
    legend: str,
    style: Literal["layout", "measured", "apart"],
) -> go.Scatter:
    """One legend entry of nodes: in a layout, at their measured errors with their intervals as
    bars, or apart (no result yet: in the band below the error axis)."""
    ref = plain(reference)
    bars = style == "measured"

    def label(node: GraphNode) -> str:  # short: the hover text has the spread and the protocol
        if bars:
            seeds = f"{node.runs} seed{'s' if node.runs != 1 else ''}"
            return f"<b>{plain(node.name)}</b><br>{node.top1_error_mean:.1f} % ({seeds})"
        if style == "apart":
            return f"<b>{plain(node.name)}</b><br>{NO_RESULT}"
        measured = node.measured.split(" (")[0] if node.measured else NO_RESULT
        return f"<b>{plain(node.name)}</b><br>{node.ratio:.3f}× {ref}<br>{plain(measured)}"

    def hover(node: GraphNode) -> str:
        return (
            f"<b>{plain(node.name)}</b> ({'preset' if node.kind == 'preset' else 'team architecture'})"
            f"<br>{plain(node.notation)}<br>C = {node.conv_macs:,} MACs per image, {node.ratio:.3f}× {ref}"
            f"<br>{node.depth} conv layers<br>measured: {plain(node.measured or NO_RESULT)}{_spread(node)}"
            f"<br>paper's error: {plain(node.paper)}<br>click to open in the editor"
        )

    marker: dict[str, Any] = {"size": 18, "color": colour, "line": {"color": "white", "width": 2}}
    if style == "apart":  # hollow, ringed in the kind's colour
        rings = [_NODE_COLOURS[n.kind] for n in group]
        marker = {"size": 16, "color": "white", "line": {"color": rings, "width": 2.5}}
    return go.Scatter(
        name=plain(legend),
        x=[position[n.name][0] for n in group],
        y=[position[n.name][1] for n in group],
        mode="markers+text",
        text=[label(n) for n in group],
        textposition="bottom center" if style == "layout" else "middle right",
        textfont={"size": 11},
        marker=marker,
        error_y=interval_bars([(n.top1_error_mean or 0.0, n.top1_error_ci95) for n in group], colour)
        if bars
        else None,
        hovertext=[hover(n) for n in group],
        hoverinfo="text",
        customdata=[[n.kind, n.name, n.id] for n in group],  # read by the click handler, not drawn
    )


def _spread(node: GraphNode) -> str:
    """The hover's line on the result: its interval as computed, and its protocol."""
    if node.top1_error_mean is None:
        return ""
    ci = node.top1_error_ci95
    interval = f"95% interval {ci[0]:.2f} to {ci[1]:.2f} %" if ci else "one seed: no interval yet"
    return f"<br>{interval}<br>protocol: {plain(node.protocol or 'unknown')}"


def _ordered(values: Iterable[str]) -> list[str]:
    """Trade-offs in the legend's order: the known ones first, then any other alphabetically."""
    present = set(values)
    known = [name for name in TRADEOFF_COLOURS if name in present]
    return known + sorted(present - set(known))
