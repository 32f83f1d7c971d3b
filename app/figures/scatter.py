"""The leaderboard as a scatter: top-1 error against what the budget holds models to (conv cost C,
or for a time budget the measured time on its device), the Pareto front, and the budget's
tolerance band."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from app.arch.units import UNIT_SENTENCE
from app.figures.markup import plain
from app.figures.style import GRID_COLOUR, SERIES, base_layout, empty_figure, figure_json
from app.leaderboard.pareto import pareto_front

_BUDGET_COLOUR = "#0072B2"
Entry = Mapping[str, Any]


@dataclass(frozen=True)
class XAxis:
    """What x is: an entry's value, its p10-p90 spread (measured times), the axis titles, the
    hover text, the budget's reference with its tolerance, and which way is better."""

    value: Callable[[Entry], float | None]
    title: str
    narrow_title: str  # below 640 px: the full title is wider than a phone
    hover: str  # the hover's line for x
    quantity: str  # "C" or "time": names the reference line and the band
    reference: float | None = None
    tolerance: float = 0.0
    spread: Callable[[Entry], tuple[float, float] | None] = lambda _: None
    higher_is_better: bool = False  # throughput; cost and latency are better lower


def cost_axis(budget: Mapping[str, Any] | None) -> XAxis:
    """x is conv cost C (Eqn. (1)), against the budget's reference C."""
    reference = (budget or {}).get("reference_conv_macs")
    return XAxis(
        value=lambda e: e.get("conv_macs"),
        title=f"conv cost, {UNIT_SENTENCE}",
        narrow_title="conv MACs per image (Eqn. 1)",
        hover="%{x:,} MACs per image",
        quantity="C",
        reference=float(reference) if reference else None,
        tolerance=float((budget or {}).get("tolerance") or 0),
    )


def time_axis(measure: Mapping[str, Any], tolerance: float) -> XAxis:
    """x is a time budget's measured median on its device: batch-1 latency (ms) or throughput
    (images/s at its batch), with the p10-p90 of the benchmarks as horizontal bars."""
    device = plain(measure.get("device"))
    metric = "latency_ms" if measure.get("metric") == "latency_ms" else "throughput"

    def spread(e: Entry) -> tuple[float, float] | None:
        measured = e.get("measured") or {}
        low, high = measured.get(f"{metric}_p10"), measured.get(f"{metric}_p90")
        return (float(low), float(high)) if low is not None and high is not None else None

    latency = metric == "latency_ms"
    reference = measure.get("reference_value")
    return XAxis(
        value=lambda e: (e.get("measured") or {}).get(metric),
        title=(
            f"batch-1 latency on {device}, ms (median over benchmarks; bars p10-p90)"
            if latency
            else f"images/s at batch {measure.get('batch_size')} on {device} (median over benchmarks)"
        ),
        narrow_title="latency, ms (batch 1)" if latency else "images/s",
        hover="%{x:.3g} ms at batch 1" if latency else "%{x:.4g} images/s",
        quantity="time",
        reference=float(reference) if reference else None,
        tolerance=tolerance,
        spread=spread,
        higher_is_better=not latency,
    )


def leaderboard_scatter(entries: Sequence[Entry], x: XAxis, title: str | None = None) -> dict[str, Any]:
    """Top-1 error (mean ± std over seeds, %) against `x`, one colour per team, the Pareto front
    as a step line and the budget's tolerance band shaded."""
    ranked = [e for e in entries if e.get("top1_error_mean") is not None and x.value(e) is not None]
    if not ranked:
        return empty_figure("No finished training results in this budget yet", title, height=320)
    own = _own_team(ranked)
    teams = sorted({str(e.get("team_name")) for e in ranked}, key=lambda t: (t != own, t))
    data = [
        _team_trace([e for e in ranked if str(e.get("team_name")) == team], team, SERIES[i % len(SERIES)], x)
        for i, team in enumerate(teams)
    ]
    sign = -1.0 if x.higher_is_better else 1.0  # the front is "lower x and error"; flip throughput
    front = pareto_front([(sign * float(x.value(e) or 0), float(e["top1_error_mean"])) for e in ranked])
    better = "faster" if x.quantity == "time" else "cheaper"
    data.append(
        go.Scatter(
            name=f"Pareto front (none {better} and better)",
            x=[x.value(ranked[i]) for i in front],
            y=[ranked[i]["top1_error_mean"] for i in front],
            mode="lines",
            line={"shape": "hv", "color": "#111827", "dash": "dot", "width": 1.5},
            hoverinfo="skip",
        )
    )
    xs = [float(x.value(e) or 0) for e in ranked]
    xs += [bound for e in ranked for bound in (x.spread(e) or ())]
    shapes: list[dict[str, Any]] = []
    if x.reference:
        low, high = x.reference * (1 - x.tolerance), x.reference * (1 + x.tolerance)
        xs += [low, high]  # the band stays in view even when every entry sits to one side
        shapes = _budget_shapes(x.reference, low, high, x.tolerance, x.quantity)
    pad = 0.02 * (max(xs) - min(xs) or max(xs))
    fig = go.Figure(
        data=data,
        layout=base_layout(
            title,
            height=380,
            shapes=shapes,
            hovermode="closest",
            xaxis={
                "title": {"text": x.title},
                "gridcolor": GRID_COLOUR,
                "zeroline": False,
                "range": [min(xs) - pad, max(xs) + pad],
            },
            yaxis={"title": {"text": "top-1 error (%)"}, "gridcolor": GRID_COLOUR, "zeroline": False},
            # below 640 px the browser merges this in (frontend/js/plot.js)
            meta={"narrow": {"xaxis": {"title": {"text": x.narrow_title}}}},
        ),
    )
    return figure_json(fig)


def _team_trace(group: Sequence[Entry], team: str, colour: str, x: XAxis) -> go.Scatter:
    own = any(e.get("own") for e in group)
    spreads = [x.spread(e) for e in group]
    values = [x.value(e) for e in group]
    error_x = (
        {
            "type": "data",
            "symmetric": False,
            "array": [s[1] - v if s and v is not None else 0 for s, v in zip(spreads, values, strict=True)],
            "arrayminus": [
                v - s[0] if s and v is not None else 0 for s, v in zip(spreads, values, strict=True)
            ],
            "visible": True,
            "thickness": 1.2,
        }
        if any(spreads)
        else None
    )
    return go.Scatter(
        name=f"{plain(team)} (your team)" if own else plain(team),
        x=values,
        error_x=error_x,
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
        hovertemplate=(
            f"<b>%{{text}}</b> (rank %{{customdata[2]}})<br>{x.hover}<br>"
            "top-1 error %{y:.2f} % ± %{customdata[3]:.2f} % over %{customdata[0]} seeds"
            "<br>%{customdata[1]}<extra>%{fullData.name}</extra>"
        ),
    )


def _budget_shapes(
    reference: float, low: float, high: float, tolerance: float, quantity: str
) -> list[dict[str, Any]]:
    """The tolerance band (shaded, behind the points) and the reference (dashed), each with its
    own legend entry (plotly.js draws legend items for shapes that ask for one)."""
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
            "name": f"budget's band (±{tolerance:.0%} of its {quantity})",
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
            "name": f"budget's reference {quantity}",
        },
    ]


def _own_team(entries: Sequence[Mapping[str, Any]]) -> str | None:
    return next((str(e.get("team_name")) for e in entries if e.get("own")), None)
