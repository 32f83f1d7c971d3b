"""Checkpoints of a training run: model, optimizer, progress and every RNG state, written
atomically, and resumed only by the run they belong to (docs/design.md, "Checkpoints")."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn

from app.arch.spec import Spec
from app.jobs.params import TrainParams
from worker import checkpoint_files
from worker.errors import CheckpointCorrupt, CheckpointMismatch, CheckpointWriteFailed
from worker.progress import EpochMetrics, RunState

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1


def run_fingerprint(spec: Spec, params: TrainParams, num_classes: int) -> str:
    """What a checkpoint must match to be resumed: the spec, the whole protocol and the seed."""
    payload = json.dumps(
        [spec.model_dump(mode="json"), params.model_dump(mode="json"), num_classes, CHECKPOINT_FORMAT],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def save(
    path: Path, fingerprint: str, model: nn.Module, optimizer: torch.optim.Optimizer, state: RunState
) -> None:
    """Write the checkpoint atomically: a temporary file in the same folder, fsync, os.replace."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "fingerprint": fingerprint,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": {"steps": state.steps, "elapsed_s": state.elapsed_s, "last_lr": state.last_lr},
        "epoch": state.epoch,
        "images": state.images,
        "history": [asdict(m) for m in state.history],
        "rng": _rng_states(),
    }
    prefix, suffix = checkpoint_files.temporary_affixes(path)
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        # torch's zip writer reports a full disk as a RuntimeError ("file write failed")
        if isinstance(error, OSError | RuntimeError):
            raise CheckpointWriteFailed(f"could not write checkpoint {path.name}: {error}") from error
        raise


def resume(
    path: Path, fingerprint: str, model: nn.Module, optimizer: torch.optim.Optimizer, state: RunState
) -> None:
    """Load the checkpoint into `model`, `optimizer`, `state` and the RNGs; CheckpointMismatch if
    it was written for another run, CheckpointCorrupt if it cannot be read back (the objects may
    then be half loaded: start again from fresh ones). A bit flipped inside tensor data still
    loads: the file carries no checksum of its own."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torn or truncated zip, not a pickle, unreadable file
        raise _corrupt(path, error) from error
    if not isinstance(payload, dict) or "fingerprint" not in payload:
        raise _corrupt(path, TypeError("not an isocost checkpoint"))
    if payload["fingerprint"] != fingerprint:
        raise CheckpointMismatch(
            f"checkpoint {path} was written for another spec, protocol or seed; delete it to start afresh"
        )
    try:
        model.load_state_dict(payload["model"])
        optimizer.load_state_dict(payload["optimizer"])
        state.epoch, state.images = payload["epoch"], payload["images"]
        state.steps = payload["scheduler"]["steps"]
        state.elapsed_s = payload["scheduler"]["elapsed_s"]
        state.last_lr = payload["scheduler"]["last_lr"]
        state.history = [EpochMetrics(**m) for m in payload["history"]]
        _set_rng_states(payload["rng"])
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise _corrupt(path, error) from error
    log.info("resumed from %s after epoch %d (%.1f training seconds)", path, state.epoch, state.elapsed_s)


def _corrupt(path: Path, error: Exception) -> CheckpointCorrupt:
    detail = str(error).splitlines()[0][:200] if str(error) else ""
    return CheckpointCorrupt(f"checkpoint {path.name} is unreadable ({type(error).__name__}: {detail})")


def _rng_states() -> dict[str, Any]:
    # The legacy form is always this tuple; the stubs also allow the dict form.
    kind, keys, position, has_gauss, gauss = cast(
        tuple[str, np.ndarray, int, int, float], np.random.get_state(legacy=True)
    )
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        # numpy's state as tensors and numbers: weights_only loading refuses numpy arrays.
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, gauss],
        "python": random.getstate(),
    }
    if torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def _set_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    kind, keys, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, gauss))
    version, internal, gauss_next = states["python"]
    random.setstate((version, tuple(internal), gauss_next))
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
