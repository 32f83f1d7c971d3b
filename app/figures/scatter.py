"""The leaderboard as a scatter: top-1 error against conv cost, the Pareto front, and the budget's
tolerance band."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from app.arch.units import UNIT_SENTENCE
from app.figures.markup import plain
from app.figures.style import GRID_COLOUR, SERIES, base_layout, empty_figure, figure_json
from app.leaderboard.pareto import pareto_front

_HOVER = (
    "<b>%{text}</b> (rank %{customdata[2]})<br>%{x:,} MACs per image<br>"
    "top-1 error %{y:.2f} % ± %{customdata[3]:.2f} % over %{customdata[0]} seeds"
    "<br>%{customdata[1]}<extra>%{fullData.name}</extra>"
)
_BUDGET_COLOUR = "#0072B2"


def leaderboard_scatter(
    entries: Sequence[Mapping[str, Any]], budget: Mapping[str, Any] | None = None, title: str | None = None
) -> dict[str, Any]:
    """Top-1 error (mean ± std over seeds, %) against conv MACs, one colour per team, the Pareto
    front as a step line and the budget's tolerance band shaded."""
    ranked = [e for e in entries if e.get("top1_error_mean") is not None and e.get("conv_macs") is not None]
    if not ranked:
        return empty_figure("No finished training results in this budget yet", title, height=320)
    own = _own_team(ranked)
    teams = sorted({str(e.get("team_name")) for e in ranked}, key=lambda t: (t != own, t))
    data = [
        _team_trace([e for e in ranked if str(e.get("team_name")) == team], team, SERIES[i % len(SERIES)])
        for i, team in enumerate(teams)
    ]
    front = pareto_front([(float(e["conv_macs"]), float(e["top1_error_mean"])) for e in ranked])
    data.append(
        go.Scatter(
            name="Pareto front (none cheaper and better)",
            x=[ranked[i]["conv_macs"] for i in front],
            y=[ranked[i]["top1_error_mean"] for i in front],
            mode="lines",
            line={"shape": "hv", "color": "#111827", "dash": "dot", "width": 1.5},
            hoverinfo="skip",
        )
    )
    xs = [float(e["conv_macs"]) for e in ranked]
    shapes: list[dict[str, Any]] = []
    if budget and budget.get("reference_conv_macs"):
        reference, tolerance = float(budget["reference_conv_macs"]), float(budget.get("tolerance") or 0)
        low, high = reference * (1 - tolerance), reference * (1 + tolerance)
        xs += [low, high]  # the band stays in view even when every entry sits to one side
        shapes = _budget_shapes(reference, low, high, tolerance)
    pad = 0.02 * (max(xs) - min(xs) or max(xs))
    fig = go.Figure(
        data=data,
        layout=base_layout(
            title,
            height=380,
            shapes=shapes,
            hovermode="closest",
            xaxis={
                "title": {"text": f"conv cost, {UNIT_SENTENCE}"},
                "gridcolor": GRID_COLOUR,
                "zeroline": False,
                "range": [min(xs) - pad, max(xs) + pad],
            },
            yaxis={"title": {"text": "top-1 error (%)"}, "gridcolor": GRID_COLOUR, "zeroline": False},
            # below 640 px the browser merges this in (frontend/js/plot.js): the full axis title is
            # wider than a phone
            meta={"narrow": {"xaxis": {"title": {"text": "conv MACs per image (Eqn. 1)"}}}},
        ),
    )
    return figure_json(fig)


def _team_trace(group: Sequence[Mapping[str, Any]], team: str, colour: str) -> go.Scatter:
    own = any(e.get("own") for e in group)
    return go.Scatter(
        name=f"{plain(team)} (your team)" if own else plain(team),
        x=[e["conv_macs"] for e in group],
        y=[e["top1_error_mean"] for e in group],
        error_y={
            "type": "data",
            "array": [e.get("top1_error_std") or 0 for e in group],
            "visible": True,
            "thickness": 1.2,
        },
        # each point is labelled with its architecture's name, not only in the hover
        mode="markers+text",
        textposition="top center",
        textfont={"size": 11, "color": colour},
        cliponaxis=False,
        marker={"size": 11, "color": colour, "line": {"color": "white", "width": 1}},
        text=[plain(e.get("architecture_name")) for e in group],
        customdata=[
            [e.get("seeds"), plain(e.get("protocol")), e.get("rank"), e.get("top1_error_std") or 0]
            for e in group
        ],
        hovertemplate=_HOVER,
    )


def _budget_shapes(reference: float, low: float, high: float, tolerance: float) -> list[dict[str, Any]]:
    """The tolerance band (shaded, behind the points) and the reference cost (dashed), each with
    its own legend entry (plotly.js draws legend items for shapes that ask for one)."""
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": low,
            "x1": high,
            "y0": 0,
            "y1": 1,
            "fillcolor": "rgba(0,114,178,0.07)",
            "line": {"width": 0},
            "layer": "below",
            "showlegend": True,
            "name": f"budget's band (±{tolerance:.0%} of its C)",
        },
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": reference,
            "x1": reference,
            "y0": 0,
            "y1": 1,
            "line": {"color": _BUDGET_COLOUR, "width": 1, "dash": "dash"},
            "showlegend": True,
            "name": "budget's reference C",
        },
    ]


def _own_team(entries: Sequence[Mapping[str, Any]]) -> str | None:
    return next((str(e.get("team_name")) for e in entries if e.get("own")), None)
