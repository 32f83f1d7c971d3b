"""Figure builders: data in, plotly figure JSON (a dict) out. No database, no requests.

Every axis and hover label carries its unit: conv cost is Eqn. (1) of He & Sun (2015), MACs per
image, forward pass, conv layers only; errors are percent; times are ms.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.arch.analysis import Analysis
from app.figures.graph import edge_curve, layered_layout

MAC_AXIS = "MACs per image, conv layers only (Eqn. 1)"
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": "#1f2933"}
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
TRADEOFF_COLOURS = {
    "depth vs filter size": "#0072B2",
    "depth vs width": "#D55E00",
    "width vs filter size": "#009E73",
    "depth vs width and filter size": "#E69F00",
    "stride/pooling": "#CC79A7",
}
OTHER_COLOUR = "#6b7280"
# A legend along the figure's bottom edge, below the x axis title (the margin leaves room).
BOTTOM_LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": 0,
    "yref": "container",
    "yanchor": "bottom",
}
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8c6d31", "#000000"]


def format_macs(value: float) -> str:
    """5720832 -> "5.72 M MACs" (SI prefixes; exact counts go in hover text)."""
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix} MACs"
    return f"{value:.0f} MACs"


def _layout(title: str | None = None, **extra: Any) -> dict:
    layout = {
        "template": "none",
        "font": FONT,
        "margin": {"l": 64, "r": 16, "t": 48 if title else 16, "b": 100},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT["family"]}},
        "legend": BOTTOM_LEGEND,
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}}
    layout.update(extra)
    return layout


def _json(fig: go.Figure) -> dict:
    return fig.to_plotly_json()


def _empty(message: str, title: str | None = None, height: int = 260) -> dict:
    fig = go.Figure(
        layout=_layout(
            title,
            height=height,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": message,
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.5,
                    "font": {"size": 14, "color": OTHER_COLOUR},
                }
            ],
        )
    )
    return _json(fig)


# -- per-layer cost -----------------------------------------------------------------------------


def layer_costs(analysis: Analysis, reference: Analysis | None = None) -> dict:
    """Bars of each conv layer's MACs (its share of C as the bar label), beside the reference's
    layer of the same name when one is given."""
    convs = [layer for layer in analysis.layers if layer.kind == "conv"]
    if not convs:
        return _empty("No conv layers: C = 0 MACs per image", height=240)
    hover = (
        "<b>%{x}</b> %{customdata[0]}<br>%{y:,} MACs per image (%{text} of C)"
        "<br>output %{customdata[1]}<extra>%{fullData.name}</extra>"
    )

    def trace(source: Analysis, name: str, colour: str) -> go.Bar:
        layers = [layer for layer in source.layers if layer.kind == "conv"]
        return go.Bar(
            name=name,
            x=[layer.name for layer in layers],
            y=[layer.macs for layer in layers],
            text=[f"{layer.share * 100:.1f} %" for layer in layers],
            textposition="outside",
            cliponaxis=False,
            customdata=[[_conv_label(layer), _shape(layer)] for layer in layers],
            hovertemplate=hover,
            marker={"color": colour},
        )

    data = [trace(analysis, analysis.name or "this model", SERIES[0])]
    if reference is not None:
        data.append(trace(reference, f"reference: {reference.name or 'reference'}", "#9ca3af"))
    title = "Conv MACs per layer (labels: share of C)"
    fig = go.Figure(
        data=data,
        layout=_layout(
            title,
            height=320,
            barmode="group",
            showlegend=reference is not None,
            margin={"l": 64, "r": 16, "t": 48, "b": 100 if reference is not None else 56},
            xaxis={"title": {"text": "conv layer"}, "type": "category", "automargin": True},
            yaxis={"title": {"text": "MACs per image"}, "rangemode": "tozero", "automargin": True},
            uniformtext={"minsize": 9, "mode": "hide"},
        ),
    )
    return _json(fig)


def _conv_label(layer) -> str:
    return f"({layer.kernel},{layer.out_channels})" + (f"/{layer.stride}" if layer.stride != 1 else "")


def _shape(layer) -> str:
    if layer.out_hw is None:
        return f"{layer.out_channels} features"
    h, w = layer.out_hw
    return f"{layer.out_channels} ch × {h}×{w} px"


# -- relation graph -----------------------------------------------------------------------------


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
) -> dict:
    """The relation graph: nodes at (depth, slot) from `layered_layout`, arrows coloured by
    trade-off. Node customdata is [kind, name, id] so a click can open the node in the editor."""
    if not nodes:
        return _empty("No models to relate", title, height=320)
    names = {node.name for node in nodes}
    edges = [edge for edge in edges if edge.source in names and edge.target in names]
    position = layered_layout(
        {node.name: node.depth for node in nodes}, [(e.source, e.target) for e in edges]
    )

    data: list[go.Scatter] = []
    annotations = []
    for tradeoff in _ordered(edge.tradeoff for edge in edges):
        colour = TRADEOFF_COLOURS.get(tradeoff, OTHER_COLOUR)
        group = [edge for edge in edges if edge.tradeoff == tradeoff]
        xs: list[float | None] = []
        ys: list[float | None] = []
        middles = []
        for edge in group:
            curve = edge_curve(position[edge.source], position[edge.target])
            xs += [x for x, _ in curve] + [None]
            ys += [y for _, y in curve] + [None]
            middles.append(curve[len(curve) // 2])
            (ax, ay), (x, y) = curve[-3], curve[-1]
            annotations.append(
                {
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
            )
        data.append(
            go.Scatter(
                name=tradeoff,
                legendgroup=tradeoff,
                x=xs,
                y=ys,
                mode="lines",
                line={"color": colour, "width": 2},
                hoverinfo="skip",
            )
        )
        # A marker at each edge's middle: the hover target of the edge.
        data.append(
            go.Scatter(
                name=tradeoff,
                legendgroup=tradeoff,
                showlegend=False,
                x=[x for x, _ in middles],
                y=[y for _, y in middles],
                mode="markers",
                marker={"symbol": "diamond", "size": 8, "color": colour},
                hovertext=[
                    f"{e.source} → {e.target}: {e.tradeoff}<br>C ratio {e.cost_ratio:.3f}"
                    + (f"<br>{e.change}" if e.change else "")
                    for e in group
                ],
                hoverinfo="text",
                customdata=[["edge", e.source, e.target] for e in group],
            )
        )

    def label(node: GraphNode) -> str:  # short: the hover text has the protocol and seeds
        measured = node.measured.split(" (")[0] if node.measured else "no result yet"
        return f"<b>{node.name}</b><br>{node.ratio:.3f}× {reference}<br>{measured}"

    def hover(node: GraphNode) -> str:
        return (
            f"<b>{node.name}</b> ({'preset' if node.kind == 'preset' else 'team architecture'})"
            f"<br>{node.notation}<br>C = {node.conv_macs:,} MACs per image, {node.ratio:.3f}× {reference}"
            f"<br>{node.depth} conv layers<br>measured: {node.measured or 'no result yet'}"
            f"<br>paper's error: {node.paper}<br>click to open in the editor"
        )

    for kind, colour, legend in (
        ("preset", "#334e68", "paper's model (preset)"),
        ("architecture", "#2b8a3e", "team architecture"),
    ):
        group = [node for node in nodes if node.kind == kind]
        if not group:
            continue
        data.append(
            go.Scatter(
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
                customdata=[[n.kind, n.name, n.id] for n in group],
            )
        )

    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    tallest = max(sum(1 for p in position.values() if p[0] == x) for x in set(xs))
    fig = go.Figure(
        data=data,
        layout=_layout(
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
                "gridcolor": "#eef0f3",
                "fixedrange": True,
            },
            yaxis={"visible": False, "range": [min(ys) - 1.0, max(ys) + 0.6], "fixedrange": True},
            margin={"l": 24, "r": 24, "t": 48, "b": 110},
            meta={"edges": [[e.source, e.target, e.tradeoff] for e in edges]},
        ),
    )
    return _json(fig)


def _ordered(values: Iterable[str]) -> list[str]:
    """Trade-offs in the legend's order: the known ones first, then any other alphabetically."""
    present = set(values)
    known = [name for name in TRADEOFF_COLOURS if name in present]
    return known + sorted(present - set(known))


# -- training curves ----------------------------------------------------------------------------


def training_curves(metrics: Sequence[Mapping[str, Any]], title: str | None = None) -> dict:
    """Loss (train and validation) and error (top-1, top-5, %) against epoch, side by side."""
    if not metrics:
        return _empty("No finished epochs yet: the curves grow as the job runs", title, height=300)
    epochs = [m["epoch"] for m in metrics]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Loss (cross-entropy, nats)", "Validation error (%)"),
        horizontal_spacing=0.12,
    )
    series = [
        ("train_loss", "train loss", 1, SERIES[0], "%{y:.4f} nats"),
        ("val_loss", "validation loss", 1, SERIES[1], "%{y:.4f} nats"),
        ("top1_error", "top-1 error", 2, SERIES[2], "%{y:.2f} %"),
        ("top5_error", "top-5 error", 2, SERIES[3], "%{y:.2f} %"),
    ]
    for key, name, col, colour, value in series:
        ys = [m.get(key) for m in metrics]
        if all(y is None for y in ys):
            continue
        fig.add_trace(
            go.Scatter(
                name=name,
                x=epochs,
                y=ys,
                mode="lines+markers",
                line={"color": colour, "width": 2},
                marker={"size": 5},
                hovertemplate=f"epoch %{{x}}: {value}<extra>{name}</extra>",
            ),
            row=1,
            col=col,
        )
    fig.update_xaxes(title_text="epoch", gridcolor="#eef0f3", zeroline=False)
    fig.update_yaxes(gridcolor="#eef0f3", zeroline=False, rangemode="tozero")
    fig.update_yaxes(title_text="loss (nats)", row=1, col=1)
    fig.update_yaxes(title_text="error (%)", row=1, col=2)
    last = max(epochs)
    fig.update_xaxes(range=[0.5, last + 0.5], dtick=max(1, -(-last // 10)))
    fig.update_layout(**_layout(title, height=360, margin={"l": 64, "r": 16, "t": 80, "b": 100}))
    return _json(fig)


# -- benchmark: measured against theoretical per-layer time ------------------------------------

_THEORY_KEYS = ("theoretical_share", "share_of_c", "share")
_MEASURED_KEYS = ("conv_time_share", "measured_share")


def benchmark_rows(details: Mapping[str, Any] | None) -> list[dict]:
    """The conv rows of a benchmark result's per-layer table (`details["layers"]`, one entry per
    layer as `worker.benchmark.LayerTiming` writes it), normalised to {name, theoretical,
    measured, measured_ms, flagged}: theory is the layer's share of C (Eqn. 1), measured its share
    of the conv layers' summed median time, measured_ms its median time per batch in ms."""
    if not details:
        return []
    raw = details.get("layers")
    if not isinstance(raw, list):
        return []
    rows = []
    for row in raw:
        if not isinstance(row, Mapping) or row.get("kind", "conv") != "conv":
            continue
        seconds = _first(row, ("median_s",))
        rows.append(
            {
                "name": str(row.get("name") or f"conv{len(rows) + 1}"),
                "theoretical": _first(row, _THEORY_KEYS),
                "measured": _first(row, _MEASURED_KEYS),
                "measured_ms": seconds * 1000 if seconds is not None else _first(row, ("measured_ms",)),
                "flagged": bool(row.get("flagged", False)),
            }
        )
    total_ms = sum(r["measured_ms"] or 0 for r in rows)
    for r in rows:
        if r["measured"] is None and r["measured_ms"] is not None and total_ms > 0:
            r["measured"] = r["measured_ms"] / total_ms
    return rows


def _first(row: Mapping[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def benchmark_layers(
    rows: Sequence[Mapping[str, Any]], device: str | None = None, title: str | None = None
) -> dict:
    """Each conv layer's share of C (Eqn. 1, theory) beside its share of the measured conv time."""
    if not rows:
        return _empty("No per-layer timings in this benchmark (yet)", title, height=280)
    names = [r["name"] for r in rows]
    ms = [r.get("measured_ms") for r in rows]
    data = [
        go.Bar(
            name="theory: share of C (Eqn. 1)",
            x=names,
            y=[None if r["theoretical"] is None else r["theoretical"] * 100 for r in rows],
            marker={"color": "#9ca3af"},
            hovertemplate="%{x}: %{y:.1f} % of C<extra>theory</extra>",
        ),
        go.Bar(
            name="measured: share of conv time" + (f" on {device}" if device else ""),
            x=names,
            y=[None if r["measured"] is None else r["measured"] * 100 for r in rows],
            marker={"color": SERIES[0]},
            text=["⚑" if r.get("flagged") else "" for r in rows],
            textposition="outside",
            cliponaxis=False,
            customdata=[[m] for m in ms],
            hovertemplate="%{x}: %{y:.1f} % of measured conv time (median %{customdata[0]:.3f} ms per batch)<extra>measured</extra>",
        ),
    ]
    fig = go.Figure(
        data=data,
        layout=_layout(
            title,
            height=320,
            barmode="group",
            xaxis={"title": {"text": "conv layer"}, "type": "category"},
            yaxis={
                "title": {"text": "share of the conv total (%)"},
                "rangemode": "tozero",
                "gridcolor": "#eef0f3",
            },
        ),
    )
    return _json(fig)


# -- leaderboard --------------------------------------------------------------------------------


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point dominates (lower or equal cost and error, one of them
    strictly lower), ordered by cost: the best error available at each cost."""

    def dominated(i: int) -> bool:
        ci, ei = points[i]
        return any(
            cj <= ci and ej <= ei and (cj < ci or ej < ei) for j, (cj, ej) in enumerate(points) if j != i
        )

    return sorted((i for i in range(len(points)) if not dominated(i)), key=lambda i: (points[i], i))


def leaderboard_scatter(
    entries: Sequence[Mapping[str, Any]], budget: Mapping[str, Any] | None = None, title: str | None = None
) -> dict:
    """Top-1 error (mean ± std over seeds, %) against conv MACs, one colour per team, the Pareto
    front as a step line and the budget's tolerance band shaded."""
    ranked = [e for e in entries if e.get("top1_error_mean") is not None and e.get("conv_macs") is not None]
    if not ranked:
        return _empty("No finished training results in this budget yet", title, height=320)
    data = []
    teams = sorted({str(e.get("team_name")) for e in ranked}, key=lambda t: (t != _own_team(ranked), t))
    for i, team in enumerate(teams):
        group = [e for e in ranked if str(e.get("team_name")) == team]
        own = any(e.get("own") for e in group)
        data.append(
            go.Scatter(
                name=f"{team} (your team)" if own else team,
                x=[e["conv_macs"] for e in group],
                y=[e["top1_error_mean"] for e in group],
                error_y={
                    "type": "data",
                    "array": [e.get("top1_error_std") or 0 for e in group],
                    "visible": True,
                    "thickness": 1.2,
                },
                mode="markers",
                marker={"size": 11, "color": SERIES[i % len(SERIES)], "line": {"color": "white", "width": 1}},
                text=[e.get("architecture_name") for e in group],
                customdata=[
                    [e.get("seeds"), e.get("protocol"), e.get("rank"), e.get("top1_error_std") or 0]
                    for e in group
                ],
                hovertemplate=(
                    "<b>%{text}</b> (rank %{customdata[2]})<br>%{x:,} MACs per image<br>"
                    "top-1 error %{y:.2f} % ± %{customdata[3]:.2f} % over %{customdata[0]} seeds"
                    "<br>%{customdata[1]}<extra>%{fullData.name}</extra>"
                ),
            )
        )
    front = pareto_front([(float(e["conv_macs"]), float(e["top1_error_mean"])) for e in ranked])
    data.append(
        go.Scatter(
            name="Pareto front (no model is both cheaper and better)",
            x=[ranked[i]["conv_macs"] for i in front],
            y=[ranked[i]["top1_error_mean"] for i in front],
            mode="lines",
            line={"shape": "hv", "color": "#111827", "dash": "dot", "width": 1.5},
            hoverinfo="skip",
        )
    )
    shapes = []
    xs = [float(e["conv_macs"]) for e in ranked]
    if budget and budget.get("reference_conv_macs"):
        reference, tolerance = float(budget["reference_conv_macs"]), float(budget.get("tolerance") or 0)
        xs += [reference * (1 - tolerance), reference * (1 + tolerance)]
        shapes = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": reference * (1 - tolerance),
                "x1": reference * (1 + tolerance),
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(0,114,178,0.07)",
                "line": {"width": 0},
                "layer": "below",
            },
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": reference,
                "x1": reference,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#0072B2", "width": 1, "dash": "dash"},
            },
        ]
    fig = go.Figure(
        data=data,
        layout=_layout(
            title,
            height=380,
            shapes=shapes,
            hovermode="closest",
            xaxis={
                "title": {"text": f"conv cost, {MAC_AXIS}"},
                "gridcolor": "#eef0f3",
                "zeroline": False,
                "range": [
                    min(xs) - 0.02 * (max(xs) - min(xs) or max(xs)),
                    max(xs) + 0.02 * (max(xs) - min(xs) or max(xs)),
                ],
            },
            yaxis={
                "title": {"text": "top-1 error (%)"},
                "gridcolor": "#eef0f3",
                "zeroline": False,
            },
        ),
    )
    return _json(fig)


def _own_team(entries: Sequence[Mapping[str, Any]]) -> str | None:
    return next((str(e.get("team_name")) for e in entries if e.get("own")), None)
