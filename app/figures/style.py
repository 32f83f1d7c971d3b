"""The look every figure shares: font, colours, the base layout, and the empty-state figure.

Every axis and hover label carries its unit: conv cost is Eqn. (1) of He & Sun (2015), MACs per
image, forward pass, conv layers only; errors are percent; times are ms.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from app.figures.markup import plain

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13, "color": "#1f2933"}
# Okabe-Ito first: distinguishable with the common colour-vision deficiencies.
SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8c6d31", "#000000"]
OTHER_COLOUR = "#6b7280"
REFERENCE_COLOUR = "#9ca3af"
GRID_COLOUR = "#eef0f3"
# A legend along the figure's bottom edge, below the x axis title (the margin leaves room).
BOTTOM_LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": 0,
    "yref": "container",
    "yanchor": "bottom",
}


def base_layout(title: str | None = None, **extra: Any) -> dict[str, Any]:
    """The shared layout; `extra` keys replace the defaults whole (a `margin` replaces all four).
    `title` is drawn as text: it often carries a user's name (app.figures.markup)."""
    layout: dict[str, Any] = {
        "template": "none",
        "font": FONT,
        "margin": {"l": 64, "r": 16, "t": 48 if title else 16, "b": 100},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hoverlabel": {"font": {"family": FONT["family"]}},
        "legend": BOTTOM_LEGEND,
    }
    if title:
        layout["title"] = {"text": plain(title), "x": 0, "xanchor": "left", "font": {"size": 15}}
    layout.update(extra)
    return layout


def figure_json(fig: go.Figure) -> dict[str, Any]:
    """The figure as plain JSON types, ready for the browser's `Plotly.react`."""
    out: dict[str, Any] = fig.to_plotly_json()
    return out


def empty_figure(message: str, title: str | None = None, height: int = 260) -> dict[str, Any]:
    """No axes, just `message` in the middle: what a figure shows before it has data."""
    fig = go.Figure(
        layout=base_layout(
            title,
            height=height,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": plain(message),
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
    return figure_json(fig)
