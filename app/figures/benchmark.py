"""A benchmark's per-layer timings against theory: each conv layer's share of C (Eqn. 1) beside
its share of the measured conv time. `Result.details` is read with its one schema,
`app.jobs.results.BenchmarkDetails` (docs/design.md, "Benchmark results")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from pydantic import ValidationError
from typing_extensions import TypedDict  # pydantic reads it on Python 3.11 (app.figures.schemas)

from app.figures.markup import plain
from app.figures.style import GRID_COLOUR, REFERENCE_COLOUR, SERIES, base_layout, empty_figure, figure_json
from app.jobs.results import BenchmarkDetails, LayerTiming


class BenchmarkRow(TypedDict):
    """One conv layer of the figure; the API returns these as `rows`."""

    name: str
    theoretical: float | None  # share of C, Eqn. (1)
    measured: float | None  # share of the conv layers' summed median time
    measured_ms: float  # median time per batch
    flagged: bool  # measured and theory disagree beyond the job's flag factor


def benchmark_rows(details: Mapping[str, Any] | None) -> list[BenchmarkRow]:
    """The conv rows of a benchmark result's per-layer table. Details that are missing or do not
    validate (results stored before the schema) have no rows, so the figure says so."""
    if details is None:
        return []
    try:
        layers = BenchmarkDetails.model_validate(details).layers
    except ValidationError:
        return []
    convs = [layer for layer in layers if layer.kind == "conv"]
    conv_total_s = sum(layer.median_s for layer in convs)

    def measured(layer: LayerTiming) -> float | None:
        # The worker writes conv_time_share for every conv, but the schema lets it be None.
        if layer.conv_time_share is not None:
            return layer.conv_time_share
        return layer.median_s / conv_total_s if conv_total_s > 0 else None

    return [
        {
            "name": layer.name,
            "theoretical": layer.theoretical_share,
            "measured": measured(layer),
            "measured_ms": layer.median_s * 1000,
            "flagged": layer.flagged,
        }
        for layer in convs
    ]


def benchmark_layers(
    rows: Sequence[BenchmarkRow], device: str | None = None, title: str | None = None
) -> dict[str, Any]:
    """Each conv layer's share of C (Eqn. 1, theory) beside its share of the measured conv time."""
    if not rows:
        return empty_figure("No per-layer timings in this benchmark (yet)", title, height=280)
    names = [plain(r["name"]) for r in rows]
    data = [
        go.Bar(
            name="theory: share of C (Eqn. 1)",
            x=names,
            y=[None if r["theoretical"] is None else r["theoretical"] * 100 for r in rows],
            marker={"color": REFERENCE_COLOUR},
            hovertemplate="%{x}: %{y:.1f} % of C<extra>theory</extra>",
        ),
        go.Bar(
            name="measured: share of conv time" + (f" on {plain(device)}" if device else ""),
            x=names,
            y=[None if r["measured"] is None else r["measured"] * 100 for r in rows],
            marker={"color": SERIES[0]},
            text=["⚑" if r["flagged"] else "" for r in rows],
            textposition="outside",
            cliponaxis=False,
            customdata=[[r["measured_ms"]] for r in rows],
            hovertemplate="%{x}: %{y:.1f} % of measured conv time (median %{customdata[0]:.3f} ms per batch)<extra>measured</extra>",
        ),
    ]
    fig = go.Figure(
        data=data,
        layout=base_layout(
            title,
            height=320,
            barmode="group",
            xaxis={"title": {"text": "conv layer"}, "type": "category"},
            yaxis={
                "title": {"text": "share of the conv total (%)"},
                "rangemode": "tozero",
                "gridcolor": GRID_COLOUR,
            },
        ),
    )
    return figure_json(fig)
