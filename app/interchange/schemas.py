"""Request bodies of the interchange endpoints (docs/api.md, "Interchange")."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from app.designs.schemas import SpecSource

ExportFormat = Literal["onnx", "pytorch"]


class ExportRequest(SpecSource):
    """A spec source (exactly one of `spec`, `notation`, `preset`) and the format to export."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"preset": "A-s36", "format": "onnx"}]}
    )

    format: ExportFormat = Field(description="onnx: the graph, weights as inputs; pytorch: one .py file")
