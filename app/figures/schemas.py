"""What the figure endpoints return, declared in the OpenAPI schema (docs/api.md, "Figures").

A figure is Plotly figure JSON: `data` (the traces) and `layout`, handed to `Plotly.react`
unchanged; their inner structure is plotly's, so it is not restated here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.figures.benchmark import BenchmarkRow
from app.figures.relation_graph import GraphEdge, GraphNode
from app.jobs.status import JobStatus


class Figure(BaseModel):
    data: list[dict[str, Any]] = Field(description="plotly traces")
    layout: dict[str, Any] = Field(description="plotly layout")


class LayersFigure(BaseModel):
    figure: Figure
    conv_macs: int
    unit: str


class RelationsFigure(BaseModel):
    figure: Figure
    reference: str = Field(description='the reference model\'s name: "A" or "A-s36"')
    nodes: list[GraphNode] = Field(
        description="the models; with `team`, each with your measured top-1 error (mean, spread, "
        "seeds) or nulls when there is no result yet"
    )
    relations: list[GraphEdge]


class CurvesFigure(BaseModel):
    figure: Figure
    status: JobStatus
    progress: float
    epochs: int = Field(description="finished epochs so far")


class BenchmarkFigure(BaseModel):
    figure: Figure
    rows: list[BenchmarkRow]
    device: str | None
    status: JobStatus


class LeaderboardFigure(BaseModel):
    figure: Figure
