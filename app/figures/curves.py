"""Training curves: loss and validation error against epoch, as far as a job has got."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.style import GRID_COLOUR, SERIES, base_layout, empty_figure, figure_json

# (metric key, legend name, panel column, colour, hover value with its unit)
_SERIES = (
    ("train_loss", "train loss", 1, SERIES[0], "%{y:.4f} nats"),
    ("val_loss", "validation loss", 1, SERIES[1], "%{y:.4f} nats"),
    ("top1_error", "top-1 error", 2, SERIES[2], "%{y:.2f} %"),
    ("top5_error", "top-5 error", 2, SERIES[3], "%{y:.2f} %"),
)


def training_curves(metrics: Sequence[Mapping[str, Any]], title: str | None = None) -> dict[str, Any]:
    """Loss (train and validation) and error (top-1, top-5, %) against epoch, side by side."""
    if not metrics:
        return empty_figure("No finished epochs yet: the curves grow as the job runs", title, height=300)
    epochs = [m["epoch"] for m in metrics]
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("Loss (cross-entropy, nats)", "Validation error (%)"),
        horizontal_spacing=0.12,
    )
    for key, name, col, colour, value in _SERIES:
        ys = [m.get(key) for m in metrics]
        if all(y is None for y in ys):  # e.g. top-5 on a 10-class data set: no empty legend entry
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
    fig.update_xaxes(title_text="epoch", gridcolor=GRID_COLOUR, zeroline=False)
    fig.update_yaxes(gridcolor=GRID_COLOUR, zeroline=False, rangemode="tozero")
    fig.update_yaxes(title_text="loss (nats)", row=1, col=1)
    fig.update_yaxes(title_text="error (%)", row=1, col=2)
    last = max(epochs)
    # At most about ten epoch ticks, whole epochs only.
    fig.update_xaxes(range=[0.5, last + 0.5], dtick=max(1, -(-last // 10)))
    fig.update_layout(**base_layout(title, height=360, margin={"l": 64, "r": 16, "t": 80, "b": 100}))
    out = figure_json(fig)
    out["layout"]["meta"] = {"narrow": _stacked(out["layout"])}
    return out


def _stacked(layout: dict[str, Any]) -> dict[str, Any]:
    """The same panels one above the other, for a narrow screen: side by side, each panel is too
    narrow for its title, and the two titles run into each other. The browser merges this into
    the layout below 640 px (frontend/js/plot.js); the figure stays one figure, built here."""
    top, bottom = (0.62, 1.0), (0.0, 0.38)
    titles = [
        {**note, "x": 0, "xanchor": "left", "y": domain[1], "yanchor": "bottom"}
        for note, domain in zip(layout.get("annotations", []), (top, bottom), strict=False)
    ]
    return {
        "height": 620,
        "xaxis": {"domain": [0, 1]},
        "xaxis2": {"domain": [0, 1]},
        "yaxis": {"domain": list(top)},
        "yaxis2": {"domain": list(bottom)},
        "annotations": titles,
    }
