"""Exports, trained weights and imports, on behalf of a caller (docs/design.md, "Interchange").

Interchange sits after jobs in the domains' order: it reads architectures and jobs, and nothing
reads it. Exports and imports are pure conversions (app.interchange.onnx_export, pytorch_source,
onnx_import); this module adds who may see what, file names, and the configured limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.arch.analysis import Analysis, analyse
from app.arch.spec import Spec
from app.architectures.models import Architecture
from app.exceptions import Conflict, NotFound, Unauthenticated
from app.interchange.onnx_export import onnx_bytes
from app.interchange.onnx_import import ImportLimits, import_onnx
from app.interchange.pytorch_source import pytorch_source
from app.interchange.schemas import ExportFormat
from app.interchange.weights import WeightFormat, weights_path
from app.jobs.models import Job
from app.jobs.status import JobStatus
from app.settings import Settings
from app.teams.models import Team

SUFFIX: dict[ExportFormat, str] = {"onnx": "onnx", "pytorch": "py"}
MEDIA_TYPE: dict[str, str] = {
    "onnx": "application/octet-stream",
    "py": "text/x-python; charset=utf-8",
    "pt": "application/octet-stream",
}


@dataclass(frozen=True)
class Download:
    content: bytes | Path  # the file's bytes, or where it lies
    filename: str
    media_type: str


def filename(name: str | None, suffix: str) -> str:
    """A safe download name: letters, digits, '.', '-' and '_' only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name or "").strip("._") or "isocost"
    return f"{stem[:80]}.{suffix}"


def export(spec: Spec, fmt: ExportFormat, name: str | None = None) -> Download:
    """ONNX (weights as graph inputs: the architecture only) or PyTorch source of `spec`."""
    suffix = SUFFIX[fmt]
    content = onnx_bytes(spec) if fmt == "onnx" else pytorch_source(spec).encode()
    return Download(content, filename(name or spec.name, suffix), MEDIA_TYPE[suffix])


def architecture_spec(architecture: Architecture) -> Spec:
    return Spec.model_validate(architecture.spec).model_copy(update={"name": architecture.name})


def job_weights(
    session: Session, settings: Settings, team: Team | None, job_id: int, fmt: WeightFormat
) -> Download:
    """The final weights of a succeeded training job: the caller's team's, or any job of a
    published architecture (no token needed for those)."""
    job = session.get(Job, job_id)
    # a calibration job has no architecture (nor weights)
    has_architecture = job is not None and job.architecture_id is not None
    architecture = (
        session.get(Architecture, job.architecture_id) if job is not None and has_architecture else None
    )
    visible = (
        job is not None
        and architecture is not None
        and (architecture.published or (team is not None and job.team_id == team.id))
    )
    if not visible or job is None or architecture is None:
        if team is None:
            raise Unauthenticated(
                "weights of unpublished architectures need 'Authorization: Bearer <team token>'",
                "authorization",
            )
        raise NotFound(f"no job {job_id} visible to your team", "job_id")
    if job.kind != "train":
        raise Conflict(f"job {job_id} is a benchmark; only training jobs have weights", "job_id")
    if job.status != JobStatus.succeeded:
        raise Conflict(f"job {job_id} is {job.status}; its weights are kept once it has succeeded", "job_id")
    path = weights_path(settings.checkpoint_dir, job_id, fmt)
    if not path.is_file():
        raise NotFound(
            f"job {job_id} kept no .{fmt} weights (it finished before weights were kept, or, for "
            "ONNX, the model is past protobuf's 2 GB limit on one file)",
            "format",
        )
    return Download(path, filename(f"{architecture.name}-job{job_id}", fmt), MEDIA_TYPE[fmt])


def import_limits(settings: Settings) -> ImportLimits:
    return ImportLimits(settings.max_import_bytes, settings.max_import_nodes, settings.max_import_params)


def import_file(data: bytes, settings: Settings) -> Analysis:
    """The spec of an ONNX file, with its analysis (the JSON of POST /complexity)."""
    return analyse(import_onnx(data, import_limits(settings)))
