"""Per-layer conv cost: bars of each conv layer's MACs (Eqn. 1), optionally beside a reference's."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from app.arch.analysis import Analysis, LayerReport
from app.figures.markup import plain
from app.figures.style import REFERENCE_COLOUR, SERIES, base_layout, empty_figure, figure_json

_HOVER = (
    "<b>%{x}</b> %{customdata[0]}<br>%{y:,} MACs per image (%{text} of C)"
    "<br>output %{customdata[1]}<extra>%{fullData.name}</extra>"
)


def layer_costs(analysis: Analysis, reference: Analysis | None = None) -> dict[str, Any]:
    """Bars of each conv layer's MACs (its share of C as the bar label), beside the reference's
    layer of the same name when one is given."""
    if not any(layer.kind == "conv" for layer in analysis.layers):
        return empty_figure("No conv layers: C = 0 MACs per image", height=240)
    data = [_bars(analysis, analysis.name or "this model", SERIES[0])]
    if reference is not None:
        data.append(_bars(reference, f"reference: {reference.name or 'reference'}", REFERENCE_COLOUR))
    fig = go.Figure(
        data=data,
        layout=base_layout(
            "Conv MACs per layer (labels: share of C)",
            height=320,
            barmode="group",
            showlegend=reference is not None,
            margin={"l": 64, "r": 16, "t": 48, "b": 100 if reference is not None else 56},
            xaxis={"title": {"text": "conv layer"}, "type": "category", "automargin": True},
            yaxis={"title": {"text": "MACs per image"}, "rangemode": "tozero", "automargin": True},
            uniformtext={"minsize": 9, "mode": "hide"},
        ),
    )
    return figure_json(fig)


def _bars(source: Analysis, name: str, colour: str) -> go.Bar:
    layers = [layer for layer in source.layers if layer.kind == "conv"]
    return go.Bar(
        name=plain(name),
        x=[plain(layer.name) for layer in layers],
        y=[layer.macs for layer in layers],
        text=[f"{layer.share * 100:.1f} %" for layer in layers],
        textposition="outside",
        cliponaxis=False,
        customdata=[[_conv_label(layer), _shape(layer)] for layer in layers],
        hovertemplate=_HOVER,
        marker={"color": colour},
    )


def _conv_label(layer: LayerReport) -> str:
    return f"({layer.kernel},{layer.out_channels})" + (f"/{layer.stride}" if layer.stride != 1 else "")


def _shape(layer: LayerReport) -> str:
    if layer.out_hw is None:
        return f"{layer.out_channels} features"
    h, w = layer.out_hw
    return f"{layer.out_channels} ch × {h}×{w} px"
