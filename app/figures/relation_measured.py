"""The relation graph's y axis once results exist (docs/design.md, "Relations"): each measured model
at its mean top-1 error (%) with its 95% interval over seeds as bars, and the models without a
result apart, in a band below the axis, placed by depth and never at a guessed height.

Pure: names and numbers in, positions and plotly layout pieces out (the traces are drawn by
`app.figures.relation_graph`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.figures.graph import Edge, layered_layout
from app.figures.style import GRID_COLOUR, OTHER_COLOUR

Point = tuple[float, float]
Interval = tuple[float, float]
BARS = "bars: 95% interval over seeds (Student t)"
Y_TITLE = f"top-1 error (%), mean over seeds; {BARS}"
NO_RESULT = "no result yet"
# Pixels of the plot area: the error axis, the gap above the band, one row of the band. The
# figure's height is their sum (plus margins), so the data units map onto them exactly.
ERROR_PX, GAP_PX, ROW_PX = 320, 36, 64
MARGIN = {"l": 72, "r": 24, "t": 48, "b": 120}
PLOT_WIDTH_PX = 900  # a typical plot width: only for the edges' bend, which needs an aspect


@dataclass(frozen=True)
class ErrorPlacement:
    position: dict[str, Point]
    yaxis: dict[str, Any]
    shapes: list[dict[str, Any]]
    annotations: list[dict[str, Any]]
    height: int
    stretch: float  # y units that look as long as one x unit (edges bend evenly)


def place_by_error(
    measured: Mapping[str, tuple[int, float, Interval | None]],
    unmeasured: Mapping[str, int],
    edges: Iterable[Edge],
) -> ErrorPlacement:
    """Measured models (name -> depth, mean, 95% interval) at (depth, mean); the others (name ->
    depth) in rows of a band below the error axis, laid out among themselves by `layered_layout`."""
    values = [mean for _, mean, _ in measured.values()]
    values += [end for _, _, ci in measured.values() if ci for end in clip(ci)]
    pad = max((max(values) - min(values)) * 0.08, 0.5)
    bottom, top = max(0.0, min(values) - pad), max(values) + pad
    per_px = (top - bottom) / ERROR_PX
    position = {name: (float(depth), mean) for name, (depth, mean, _) in measured.items()}
    slots = layered_layout(unmeasured, edges)
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    low, rows = bottom, 0
    if slots:
        highest = max(y for _, y in slots.values())
        rows = math.ceil(highest - min(y for _, y in slots.values())) + 1
        band_top = bottom - GAP_PX * per_px
        low = band_top - rows * ROW_PX * per_px
        for name, (x, slot) in slots.items():
            position[name] = (x, band_top - (0.5 + highest - slot) * ROW_PX * per_px)
        shapes.append({"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": low,
                       "y1": band_top, "fillcolor": "rgba(107,114,128,0.08)", "line": {"width": 0},
                       "layer": "below"})  # fmt: skip
        annotations.append({"text": f"{NO_RESULT} (placed by depth)", "showarrow": False, "xref": "paper",
                            "x": 0, "xanchor": "left", "yref": "y", "y": band_top, "yanchor": "top",
                            "font": {"size": 12, "color": OTHER_COLOUR}})  # fmt: skip
    ticks = [t for t in nice_ticks(bottom, top) if 0 <= t <= 100]
    yaxis = {
        "title": {"text": Y_TITLE, "font": {"size": 12}},
        "range": [low, top],
        "tickvals": ticks,
        "ticktext": [f"{t:g}" for t in ticks],
        "gridcolor": GRID_COLOUR,
        "zeroline": False,
        "fixedrange": True,
    }
    depths = [x for x, _ in position.values()]
    x_span = max(depths) - min(depths) + 2.0
    height = MARGIN["t"] + MARGIN["b"] + ERROR_PX + (GAP_PX + rows * ROW_PX if rows else 0)
    return ErrorPlacement(
        position, yaxis, shapes, annotations, height, stretch=per_px * PLOT_WIDTH_PX / x_span
    )


def clip(ci: Interval) -> Interval:
    """An interval drawn within 0-100 %: a Student t interval over few seeds can pass either end,
    where no error lies (the hover still gives the interval as computed)."""
    return max(0.0, ci[0]), min(100.0, ci[1])


def interval_bars(points: Sequence[tuple[float, Interval | None]], colour: str) -> dict[str, Any]:
    """Plotly's `error_y` for (mean, 95% interval) points; a point without an interval (one
    seed) gets no bar."""
    cis = [(mean, clip(ci) if ci else (mean, mean)) for mean, ci in points]
    return {
        "type": "data",
        "symmetric": False,
        "array": [max(0.0, high - mean) for mean, (_, high) in cis],
        "arrayminus": [max(0.0, mean - low) for mean, (low, _) in cis],
        "color": colour,
        "thickness": 1.5,
        "width": 5,
    }


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values (1, 2, 2.5 or 5 times a power of ten apart) within [low, high]."""
    raw = (high - low) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    return [round(i * step, 10) for i in range(first, math.floor(high / step + 1e-9) + 1)]
