"""Where a succeeded training job's final weights live: beside its checkpoint, one file per format
(docs/design.md, "Interchange"). The worker writes them (worker/weights.py); the API serves them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

WeightFormat = Literal["pt", "onnx"]
MEDIA_TYPES: dict[WeightFormat, str] = {"pt": "application/octet-stream", "onnx": "application/octet-stream"}


def weights_path(checkpoint_dir: Path, job_id: int, fmt: WeightFormat) -> Path:
    return Path(checkpoint_dir) / f"job-{job_id}.weights.{fmt}"
