"""Trained weights to take home (docs/design.md, "Interchange").

A succeeded training job keeps its final weights beside its checkpoint, in two files named by
`app.interchange.weights`: the `state_dict` as `.pt` and the ONNX model with the weights as
initializers. Both name parameters as the exported PyTorch source and ONNX do (conv1.weight,
fc1.bias), not as worker/build.py's nested modules do (conv1.1.weight), so the `.pt` loads into the
exported source with `load_state_dict`. The worker writes the ONNX file because reading a `.pt`
would need torch, which the API never imports.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import torch
from torch import nn

from app.arch.spec import Spec
from app.interchange.onnx_export import to_onnx
from app.interchange.weights import weights_path
from worker.build import build_model
from worker.errors import CheckpointWriteFailed

log = logging.getLogger(__name__)
MAX_MESSAGE = 2**31 - 1  # protobuf serializes no message larger


def plain_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The parameters of a worker/build.py model under the exported names: each layer has at most
    one module with weights (its conv or linear), so `conv1.1.weight` is `conv1.weight`."""
    out: dict[str, torch.Tensor] = {}
    for layer, module in model.named_children():
        for name, tensor in module.state_dict().items():
            out[f"{layer}.{name.rsplit('.', 1)[-1]}"] = tensor.detach().cpu().contiguous()
    return out


def keep_final_weights(checkpoint: Path, spec: Spec, directory: Path, job_id: int) -> None:
    """Write the final weights of a finished run from its last checkpoint: `spec` is the network
    as trained (its classifier sized for the dataset). The .pt always; the ONNX file unless the
    model is past protobuf's 2 GB limit on one file (then the .pt alone is kept, and logged)."""
    payload = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = build_model(spec)
    model.load_state_dict(payload["model"])
    state = plain_state_dict(model)
    _atomic(weights_path(directory, job_id, "pt"), lambda file: torch.save(state, file))
    exported = to_onnx(spec, {name: tensor.numpy() for name, tensor in state.items()})
    if exported.ByteSize() > MAX_MESSAGE:
        log.warning("job %s: no ONNX weights file: the model is past protobuf's 2 GB limit", job_id)
        return
    _atomic(weights_path(directory, job_id, "onnx"), lambda file: file.write(exported.SerializeToString()))


def _atomic(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """A temporary file in the same folder, fsync, rename (docs/design.md, "Checkpoints"); a
    failed write is CheckpointWriteFailed, which re-queues the job as a failed checkpoint does."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError | RuntimeError):  # the storage's fault: the job is re-queued
            raise CheckpointWriteFailed(f"could not write weights {path.name}: {error}") from error
        raise
