"""Training a spec under a protocol (`TrainParams`): plain functions with callbacks, so the Celery
task around them only stores metrics and polls a cancel flag.

Conventions, also in every result:
- Errors are in percent (0-100). Top-5 means top-k with k = min(5, classes): with fewer than five
  classes it is top-`classes` error, which is 0.
- Training seconds count the training loop only (data loading, forward, backward, step, the
  `should_stop` polls); evaluation, checkpointing and `on_epoch` do not count. A `time_budget_s`
  budget is measured on this clock and checked before every batch, so training overshoots the
  budget by at most one batch; the learning-rate schedule then runs on the fraction of the budget
  used, while an `epochs` budget runs it on the fraction of batches done.
- Epoch e's data order and augmentation depend only on (seed, e), and the checkpoint holds the
  RNG states, so on CPU a run resumed from its checkpoint matches an uninterrupted one exactly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import platform
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from app.arch.spec import Spec
from app.jobs.params import TrainParams
from worker.build import build_model
from worker.datasets import Datasets, ImageSet, load_dataset

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
_clock = time.perf_counter  # the training clock; tests replace it to simulate time


class Cancelled(Exception):
    """`should_stop()` returned True; raised before the batch it was polled for ran."""


class OutOfMemory(RuntimeError):
    """The device ran out of memory: deterministic for a given spec, batch and device, so the
    caller should fail the job rather than retry it."""


class Diverged(RuntimeError):
    """The training loss became NaN or infinite (learning rate too high for this model)."""


class CheckpointMismatch(ValueError):
    """The checkpoint belongs to another spec, protocol or seed."""


@dataclass(frozen=True)
class EpochMetrics:
    epoch: int  # 1-based
    train_loss: float  # mean cross-entropy over the epoch's training images (with dropout on)
    val_loss: float  # mean cross-entropy on the validation set
    top1_error: float  # percent
    top5_error: float  # percent; top-k with k = min(5, classes)
    images_per_s: float  # training images / training seconds, this epoch
    lr: float  # learning rate of the epoch's last batch
    elapsed_s: float  # training seconds since the start of the run (resumed runs included)


@dataclass(frozen=True)
class TrainOutcome:
    top1_error: float  # percent, after the last epoch
    top5_error: float  # percent
    val_loss: float
    epochs: int  # epochs completed (the last may be partial under a time budget)
    train_s: float  # training seconds in all
    images_per_s: float  # training images / training seconds, over the whole run
    history: list[EpochMetrics] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)


def train(
    spec: Spec,
    params: TrainParams,
    data_root: Path,
    *,
    checkpoint: Path | None,
    on_epoch: Callable[[EpochMetrics], None],
    should_stop: Callable[[], bool],
    device: str = "auto",
) -> TrainOutcome:
    """Train `spec` (its classifier resized to the dataset's classes) with SGD + momentum.

    After each epoch: evaluate, call `on_epoch` (at least once per epoch: after a crash between
    `on_epoch` and the checkpoint write the epoch is redone and reported again, so store metrics
    keyed by epoch), then write `checkpoint` atomically. A run finds its checkpoint and resumes
    from the next epoch. `should_stop()` is polled before every training and evaluation batch
    (keep it cheap; it runs on the training clock); when it returns True, `Cancelled` is raised
    and the batch does not run.

    Raises Cancelled, OutOfMemory, Diverged, CheckpointMismatch, and DatasetError (a ValueError)
    for a dataset that cannot be loaded.
    """
    target = resolve_device(device)
    seed_everything(params.seed)
    data = load_dataset(params.dataset, data_root, spec.input, params)
    model = build_model(spec.with_classes(data.num_classes))
    optimizer = torch.optim.SGD(
        model.parameters(), lr=params.lr, momentum=params.momentum, weight_decay=params.weight_decay
    )
    state = _State()
    fingerprint = run_fingerprint(spec, params, data.num_classes)
    if checkpoint is not None and Path(checkpoint).exists():
        _resume(Path(checkpoint), fingerprint, model, optimizer, state)
    resumed_from = state.epoch
    _place(model, optimizer, target)
    try:
        while not state.finished(params):
            metrics = _epoch(model, optimizer, data, params, state, target, should_stop)
            if metrics is None:  # the time budget ran out before this epoch's first batch
                break
            on_epoch(metrics)
            if checkpoint is not None:
                _save(Path(checkpoint), fingerprint, model, optimizer, state)
    except RuntimeError as error:
        if is_out_of_memory(error):
            raise OutOfMemory(f"out of memory on {target} at batch {params.batch_size}: {error}") from error
        raise
    return _outcome(state, {**provenance(target, params, data), "resumed_from_epoch": resumed_from})


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the CPU allocator's failure."""
    if isinstance(error, torch.cuda.OutOfMemoryError):
        return True
    message = str(error).lower()
    return isinstance(error, RuntimeError) and (
        "out of memory" in message or "can't allocate memory" in message
    )


# ---------------------------------------------------------------------------------------------
# The loop


@dataclass
class _State:
    """What a checkpoint restores, besides the model and optimizer."""

    epoch: int = 0  # epochs completed
    elapsed_s: float = 0.0  # training seconds
    steps: int = 0  # batches done
    images: int = 0  # training images seen in completed epochs
    last_lr: float = 0.0
    history: list[EpochMetrics] = field(default_factory=list)

    def budget_spent(self, params: TrainParams) -> bool:
        """Past the time budget; a run always trains at least one batch."""
        return params.time_budget_s is not None and self.steps > 0 and self.elapsed_s >= params.time_budget_s

    def finished(self, params: TrainParams) -> bool:
        if params.epochs is not None:
            return self.epoch >= params.epochs
        return self.budget_spent(params)


def learning_rate(params: TrainParams, progress: float) -> float:
    """The schedule at `progress` in [0, 1] (of batches, or of the time budget): cosine from lr to
    0, or step (lr x gamma from 1/2, x gamma^2 from 3/4)."""
    progress = min(max(progress, 0.0), 1.0)
    if params.schedule == "cosine":
        return params.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    drops = (progress >= 0.5) + (progress >= 0.75)
    return params.lr * params.step_gamma**drops


def _progress(params: TrainParams, state: _State, batches_per_epoch: int) -> float:
    if params.time_budget_s is not None:
        return state.elapsed_s / params.time_budget_s
    return state.steps / (params.epochs * batches_per_epoch)


def _place(model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Move the model (channels_last on CUDA) and the optimizer's momentum buffers to `device`."""
    cuda = device.type == "cuda"
    model.to(device, memory_format=torch.channels_last if cuda else torch.preserve_format)
    for buffers in optimizer.state.values():
        for key, value in buffers.items():
            if isinstance(value, torch.Tensor):
                buffers[key] = value.to(device)
    if cuda:
        torch.backends.cudnn.benchmark = True  # fixed input shapes: let cuDNN pick the fastest kernels


def _epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Datasets,
    params: TrainParams,
    state: _State,
    device: torch.device,
    should_stop: Callable[[], bool],
) -> EpochMetrics | None:
    """Train one epoch, evaluate, and record it in `state`; None if no batch could run."""
    epoch = state.epoch + 1
    train_loss, images, seconds = _train_epoch(
        model, optimizer, data.train, params, state, epoch, device, should_stop
    )
    if images == 0:
        return None
    val_loss, top1, top5 = evaluate(model, data.val, data.num_classes, params.batch_size, device, should_stop)
    metrics = EpochMetrics(
        epoch=epoch,
        train_loss=train_loss,
        val_loss=val_loss,
        top1_error=top1,
        top5_error=top5,
        images_per_s=images / seconds if seconds > 0 else 0.0,
        lr=state.last_lr,
        elapsed_s=state.elapsed_s,
    )
    state.epoch, state.images = epoch, state.images + images
    state.history.append(metrics)
    return metrics


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    train_set: ImageSet,
    params: TrainParams,
    state: _State,
    epoch: int,
    device: torch.device,
    should_stop: Callable[[], bool],
) -> tuple[float, int, float]:
    """One epoch (or what the time budget leaves of it): (mean loss, images, seconds)."""
    model.train()
    cuda = device.type == "cuda"
    batches_per_epoch = math.ceil(len(train_set) / params.batch_size)
    loss_sum = torch.zeros((), device=device)  # summed on the device: no sync per batch
    images = 0
    start_elapsed = state.elapsed_s
    mark = _clock()
    for inputs, labels in _on_device(train_set.batches(params.batch_size, shuffle=True, epoch=epoch), device):
        if should_stop():
            raise Cancelled(f"cancelled in epoch {epoch}, before batch {images // params.batch_size + 1}")
        if cuda and params.time_budget_s is not None:
            torch.cuda.synchronize(device)  # the budget is checked on real, finished work
        now = _clock()
        state.elapsed_s += now - mark
        mark = now
        if state.budget_spent(params):
            break
        lr = learning_rate(params, _progress(params, state, batches_per_epoch))
        for group in optimizer.param_groups:
            group["lr"] = lr
        with _autocast(device):
            loss = functional.cross_entropy(model(inputs), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach().float() * len(labels)
        images += len(labels)
        state.steps += 1
        state.last_lr = lr
    if cuda:
        torch.cuda.synchronize(device)
    state.elapsed_s += _clock() - mark
    mean_loss = loss_sum.item() / images if images else float("nan")
    if images and not math.isfinite(mean_loss):
        raise Diverged(
            f"training loss is {mean_loss} in epoch {epoch} (lr {params.lr:g}); lower the learning rate"
        )
    return mean_loss, images, state.elapsed_s - start_elapsed


def evaluate(
    model: nn.Module,
    val_set: ImageSet,
    num_classes: int,
    batch_size: int,
    device: torch.device,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[float, float, float]:
    """(mean cross-entropy, top-1 error %, top-k error % with k = min(5, num_classes))."""
    model.eval()
    k = min(5, num_classes)
    loss_sum = torch.zeros((), device=device)
    top1 = torch.zeros((), device=device, dtype=torch.long)
    topk = torch.zeros((), device=device, dtype=torch.long)
    count = 0
    with torch.inference_mode():
        for inputs, labels in _on_device(val_set.batches(batch_size, shuffle=False), device):
            if should_stop():
                raise Cancelled("cancelled during evaluation")
            with _autocast(device):
                logits = model(inputs)
            logits = logits.float()
            loss_sum += functional.cross_entropy(logits, labels, reduction="sum")
            best = logits.topk(k, dim=1).indices
            hits = best == labels[:, None]
            top1 += hits[:, 0].sum()
            topk += hits.any(dim=1).sum()
            count += len(labels)
    if count == 0:
        return float("nan"), 100.0, 100.0
    return loss_sum.item() / count, 100.0 * (1 - top1.item() / count), 100.0 * (1 - topk.item() / count)


def _on_device(
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]], device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    if device.type != "cuda":
        yield from batches
        return
    for inputs, labels in batches:
        yield inputs.to(device, memory_format=torch.channels_last), labels.to(device)


def _autocast(device: torch.device) -> AbstractContextManager:
    """bf16 autocast on CUDA (no loss scaling needed for bf16); full precision on CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


# ---------------------------------------------------------------------------------------------
# Devices, seeds, provenance


def resolve_device(device: str) -> torch.device:
    """The torch device for "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
    CUDA is only touched when asked for or auto-detected."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise ValueError(f"device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'") from error
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device {device!r}: use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: CUDA is not available on this machine")
    return resolved


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # CUDA generators too (lazily: this does not initialise CUDA)


def device_provenance(device: torch.device) -> dict[str, Any]:
    """Device, library versions and threads: what a timing or a result depends on."""
    cuda = device.type == "cuda"
    return {
        "device": device.type if not cuda else f"cuda:{device.index or 0}",
        "device_name": torch.cuda.get_device_name(device) if cuda else _cpu_name(),
        "driver": _nvidia_driver() if cuda else None,
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "cudnn": torch.backends.cudnn.version() if cuda else None,
        "threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "code_revision": code_revision(),
    }


def provenance(device: torch.device, params: TrainParams, data: Datasets) -> dict[str, Any]:
    return {
        **device_provenance(device),
        "dtype": "bfloat16 autocast" if device.type == "cuda" else "float32",
        "channels_last": device.type == "cuda",
        "dataset": {
            "name": data.name,
            "kind": data.kind,
            "path": data.path,
            "train_size": data.train_size,
            "val_size": data.val_size,
            "num_classes": data.num_classes,
            "description": data.description,
        },
        "protocol": params.protocol(),
        "seed": params.seed,
        "error_unit": "percent; top-5 is top-min(5, classes)",
    }


def code_revision() -> str | None:
    """`git rev-parse HEAD` of the checkout this code runs from, or None outside a git checkout."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _nvidia_driver() -> str | None:
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip().splitlines()[0] if result.stdout.strip() else None


# ---------------------------------------------------------------------------------------------
# Checkpoints


def run_fingerprint(spec: Spec, params: TrainParams, num_classes: int) -> str:
    """What a checkpoint must match to be resumed: the spec, the whole protocol and the seed."""
    payload = json.dumps(
        [spec.model_dump(mode="json"), params.model_dump(mode="json"), num_classes, CHECKPOINT_FORMAT],
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _rng_states() -> dict[str, Any]:
    kind, keys, position, has_gauss, gauss = np.random.get_state()
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


def _save(
    path: Path, fingerprint: str, model: nn.Module, optimizer: torch.optim.Optimizer, state: _State
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
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _resume(
    path: Path, fingerprint: str, model: nn.Module, optimizer: torch.optim.Optimizer, state: _State
) -> None:
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if payload.get("fingerprint") != fingerprint:
        raise CheckpointMismatch(
            f"checkpoint {path} was written for another spec, protocol or seed; delete it to start afresh"
        )
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    state.epoch, state.images = payload["epoch"], payload["images"]
    state.steps = payload["scheduler"]["steps"]
    state.elapsed_s = payload["scheduler"]["elapsed_s"]
    state.last_lr = payload["scheduler"]["last_lr"]
    state.history = [EpochMetrics(**m) for m in payload["history"]]
    _set_rng_states(payload["rng"])
    log.info("resumed from %s after epoch %d (%.1f training seconds)", path, state.epoch, state.elapsed_s)


def _outcome(state: _State, provenance: dict[str, Any]) -> TrainOutcome:
    last = state.history[-1]
    return TrainOutcome(
        top1_error=last.top1_error,
        top5_error=last.top5_error,
        val_loss=last.val_loss,
        epochs=state.epoch,
        train_s=state.elapsed_s,
        images_per_s=state.images / state.elapsed_s if state.elapsed_s > 0 else 0.0,
        history=list(state.history),
        provenance=provenance,
    )
