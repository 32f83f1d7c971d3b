"""A study's figures (docs/design.md, "Studies"): the paper's figures drawn from its results, and
its models' validation curves overlaid.

Results: one panel per paper figure among the study's relation edges (Figs. 1-3; other edges,
such as delayed subsampling, in a panel of their own), top-1 error (mean, with its 95% interval as
bars) against depth, each edge drawn from source to target in the colour of its verdict. Models
without a result that learned are listed under the panels, not plotted at a guessed height.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.figures.markup import plain
from app.figures.style import GRID_COLOUR, OTHER_COLOUR, SERIES, base_layout, empty_figure, figure_json
from app.studies.schemas import ComparisonOut, ModelOut, StudyOut

VERDICT_COLOURS = {"better": "#009E73", "worse": "#D55E00", "within noise": "#6b7280", None: "#c4c9d0"}
VERDICT_NAMES = {"better": "target better", "worse": "target worse", "within noise": "within noise",
                 None: "no verdict yet"}  # fmt: skip
_PANELS = {1: "Fig. 1: depth vs filter size", 2: "Fig. 2: depth vs width", 3: "Fig. 3: width vs filter size"}
Curve = Sequence[tuple[int, float, float]]  # (epoch, training seconds, validation top-1 error %)


def _panels(study: StudyOut) -> list[tuple[str, list[ComparisonOut]]]:
    by_figure: dict[int | None, list[ComparisonOut]] = defaultdict(list)
    for c in study.comparisons:
        by_figure[c.figure].append(c)
    panels = [(_PANELS[f], by_figure[f]) for f in (1, 2, 3) if by_figure.get(f)]
    if by_figure.get(None):
        panels.append(("other edges (subsampling, stages)", by_figure[None]))
    return panels or [("models", [])]


def study_results(study: StudyOut) -> dict[str, object]:
    """Error against depth, one panel per figure, edges coloured by verdict."""
    measured = {m.name: m for m in study.models if m.top1_error_mean is not None}
    if not measured:
        return empty_figure(
            "No results yet: each model is plotted once one of its runs has learned", height=300
        )
    panels = _panels(study)
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=[plain(t) for t, _ in panels],
                        horizontal_spacing=0.08)  # fmt: skip
    shown_verdicts: set[str | None] = set()
    for col, (_, edges) in enumerate(panels, start=1):
        names = {n for c in edges for n in (c.source, c.target)} or set(measured)
        for c in edges:
            a, b = measured.get(c.source), measured.get(c.target)
            if a is None or b is None:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[a.depth, b.depth], y=[a.top1_error_mean, b.top1_error_mean], mode="lines",
                    line={"color": VERDICT_COLOURS[c.verdict], "width": 3, "dash": "solid" if c.verdict else "dot"},
                    name=VERDICT_NAMES[c.verdict], legendgroup=str(c.verdict),
                    showlegend=c.verdict not in shown_verdicts,
                    hovertemplate=_edge_hover(c) + "<extra></extra>",
                ),
                row=1, col=col,
            )  # fmt: skip
            shown_verdicts.add(c.verdict)
        points = [measured[n] for n in sorted(names) if n in measured]
        fig.add_trace(_points(points, col == 1), row=1, col=col)
    fig.update_xaxes(title_text="depth (conv layers)", gridcolor=GRID_COLOUR, zeroline=False, dtick=1)
    fig.update_yaxes(gridcolor=GRID_COLOUR, zeroline=False, rangemode="tozero")
    fig.update_yaxes(title_text="top-1 error (%)", row=1, col=1)
    missing = [m.name for m in study.models if m.name not in measured]
    notes = list(fig.layout.annotations)
    if missing:
        notes.append({"text": plain(f"no result that learned yet: {', '.join(missing)}"), "showarrow": False,
                      "xref": "paper", "yref": "paper", "x": 0, "y": -0.32, "xanchor": "left",
                      "font": {"color": OTHER_COLOUR, "size": 12}})  # fmt: skip
    fig.update_layout(**base_layout(None, height=420, margin={"l": 64, "r": 16, "t": 48, "b": 130}))
    fig.update_layout(annotations=notes)
    return figure_json(fig)


def _points(models: list[ModelOut], legend: bool) -> go.Scatter:
    ci = [m.top1_error_ci95 for m in models]
    return go.Scatter(
        x=[m.depth for m in models], y=[m.top1_error_mean for m in models], mode="markers+text",
        text=[plain(m.name) for m in models], textposition="top center",
        marker={"size": 10, "color": SERIES[0]}, name="model (mean, 95% CI)", showlegend=legend,
        error_y={"type": "data", "symmetric": False, "color": SERIES[0],
                 "array": [(c[1] - m.top1_error_mean) if c and m.top1_error_mean is not None else 0
                           for c, m in zip(ci, models, strict=True)],
                 "arrayminus": [(m.top1_error_mean - c[0]) if c and m.top1_error_mean is not None else 0
                                for c, m in zip(ci, models, strict=True)]},
        customdata=[[m.n, m.top1_error_std or 0.0] for m in models],
        hovertemplate="%{text}: %{y:.2f} % top-1 error (n=%{customdata[0]}, std %{customdata[1]:.2f}), "
        "depth %{x}<extra></extra>",
    )  # fmt: skip


def _edge_hover(c: ComparisonOut) -> str:
    difference = "n/a" if c.difference is None else f"{c.difference:+.2f} points"
    p = "n/a" if c.p_value is None else f"{c.p_value:.3g}"
    return plain(f"{c.source} -> {c.target}: {difference}, p = {p}, {c.verdict or 'no verdict yet'}")


def study_curves(
    study: StudyOut, curves: Mapping[str, Sequence[Curve]], by_time: bool = False
) -> dict[str, object]:
    """The study's models' runs overlaid (`overlay_curves`), in the study's order."""
    return overlay_curves([(m.name, curves[m.name]) for m in study.models if curves.get(m.name)], by_time)


def overlay_curves(groups: Sequence[tuple[str, Sequence[Curve]]], by_time: bool = False) -> dict[str, object]:
    """Validation top-1 error against epoch (or, `by_time`, against training seconds: an
    equal-time study): each run of a group (a model) thin, their mean bold, and a band of one
    standard deviation across its runs (seeds) around it. The mean is taken per epoch, drawn at
    the runs' mean time."""
    if not any(runs for _, runs in groups):
        return empty_figure("No finished epochs yet: the curves grow as the jobs run", height=300)
    fig = go.Figure()
    x_of = (lambda point: point[1]) if by_time else (lambda point: point[0])
    for i, (name, runs) in enumerate((name, runs) for name, runs in groups if runs):
        colour = SERIES[i % len(SERIES)]
        for run in runs:
            fig.add_trace(go.Scatter(x=[x_of(p) for p in run], y=[p[2] for p in run], mode="lines", opacity=0.35,
                                     line={"color": colour, "width": 1}, legendgroup=name, showlegend=False,
                                     hoverinfo="skip"))  # fmt: skip
        by_epoch: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for run in runs:
            for epoch, seconds, value in run:
                by_epoch[epoch].append((seconds, value))
        epochs = sorted(by_epoch)
        xs = [statistics.fmean(t for t, _ in by_epoch[e]) for e in epochs] if by_time else list(epochs)
        mean = [statistics.fmean(v for _, v in by_epoch[e]) for e in epochs]
        spread = [
            statistics.stdev(v for _, v in by_epoch[e]) if len(by_epoch[e]) > 1 else 0.0 for e in epochs
        ]
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=[m + s for m, s in zip(mean, spread, strict=True)]
                                 + [max(0.0, m - s) for m, s in zip(mean, spread, strict=True)][::-1], fill="toself",
                                 fillcolor=colour, opacity=0.15, line={"width": 0}, legendgroup=name,
                                 showlegend=False, hoverinfo="skip"))  # fmt: skip
        where = "%{x:.1f} s" if by_time else "epoch %{x}"
        fig.add_trace(go.Scatter(x=xs, y=mean, mode="lines+markers", name=plain(name),
                                 legendgroup=name, line={"color": colour, "width": 2.5}, marker={"size": 4},
                                 hovertemplate=f"{plain(name)}: {where}, mean %{{y:.2f}} %<extra></extra>"))  # fmt: skip
    if by_time:
        fig.update_xaxes(
            title_text="training time (s)", gridcolor=GRID_COLOUR, zeroline=False, rangemode="tozero"
        )
    else:
        last = max((p[0] for _, runs in groups for run in runs for p in run), default=1)
        fig.update_xaxes(
            title_text="epoch", gridcolor=GRID_COLOUR, zeroline=False, dtick=max(1, -(-last // 10))
        )
    fig.update_yaxes(
        title_text="validation top-1 error (%)", gridcolor=GRID_COLOUR, zeroline=False, rangemode="tozero"
    )
    fig.update_layout(**base_layout(None, height=420, margin={"l": 64, "r": 16, "t": 16, "b": 110}))
    return figure_json(fig)
