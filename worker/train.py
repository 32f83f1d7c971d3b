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

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from app.arch.spec import Spec
from app.jobs.params import TrainParams
from worker import checkpoints
from worker.build import build_model
from worker.datasets import load_dataset
from worker.datasets.splits import Datasets, ImageSet
from worker.device import is_out_of_memory, provenance, resolve_device, seed_everything
from worker.errors import Cancelled, Diverged, NothingTrained, OutOfMemory
from worker.learned import did_not_learn
from worker.progress import EpochMetrics, RunState

_clock = time.perf_counter  # the training clock; tests replace it to simulate time


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
    did_not_learn: str | None = None  # why the run did not learn (worker.learned); None: it did


def train(
    spec: Spec,
    params: TrainParams,
    data_root: Path,
    *,
    checkpoint: Path | None,
    on_epoch: Callable[[EpochMetrics], None],
    should_stop: Callable[[], bool],
    device: str = "auto",
    on_progress: Callable[[float], None] | None = None,
) -> TrainOutcome:
    """Train `spec` (its classifier resized to the dataset's classes) with SGD + momentum.

    After each epoch: evaluate, call `on_epoch` (at least once per epoch: after a crash between
    `on_epoch` and the checkpoint write the epoch is redone and reported again, so store metrics
    keyed by epoch), then write `checkpoint` atomically. A run finds its checkpoint and resumes
    from the next epoch. `should_stop()` is polled before every training and evaluation batch
    (keep it cheap; it runs on the training clock); when it returns True, `Cancelled` is raised
    and the batch does not run.
    `on_progress(fraction)` is called after every training batch with the run's progress (of
    batches, or of the time budget); it runs on the training clock too, so it must be cheap.

    Raises Cancelled, OutOfMemory, Diverged, CheckpointMismatch, NothingTrained (a time budget
    spent before the first batch), and DatasetError (a ValueError) for a dataset that cannot be
    loaded.
    """
    target = resolve_device(device)
    seed_everything(params.seed)
    data = load_dataset(params.dataset, data_root, spec.input, params)
    model = build_model(spec.with_classes(data.num_classes))
    optimizer = torch.optim.SGD(
        model.parameters(), lr=params.lr, momentum=params.momentum, weight_decay=params.weight_decay
    )
    state = RunState()
    fingerprint = checkpoints.run_fingerprint(spec, params, data.num_classes)
    if checkpoint is not None and Path(checkpoint).exists():
        checkpoints.resume(Path(checkpoint), fingerprint, model, optimizer, state)
    resumed_from = state.epoch
    _place(model, optimizer, target)
    try:
        while not state.finished(params):
            metrics = _epoch(model, optimizer, data, params, state, target, should_stop, on_progress)
            if metrics is None:  # the time budget ran out before this epoch's first batch
                break
            on_epoch(metrics)
            if checkpoint is not None:
                checkpoints.save(Path(checkpoint), fingerprint, model, optimizer, state)
    except RuntimeError as error:
        if is_out_of_memory(error):
            raise OutOfMemory(f"out of memory on {target} at batch {params.batch_size}: {error}") from error
        raise
    if not state.history:
        raise NothingTrained(
            f"nothing was trained: the training set ({len(data.train)} images) gave no batch"
        )
    stalled = did_not_learn(state.history[-1], data.num_classes, len(data.val))
    recorded = {
        **provenance(target, params, data),
        "resumed_from_epoch": resumed_from,
        "did_not_learn": stalled,
    }
    return _outcome(state, recorded, stalled)


# ---------------------------------------------------------------------------------------------
# The loop


def learning_rate(params: TrainParams, progress: float) -> float:
    """The schedule at `progress` in [0, 1] (of batches, or of the time budget): a linear warm-up
    from 0 to lr over `warmup_fraction`, then, over the rest, cosine from lr to 0 or step (lr x
    gamma from 1/2, x gamma^2 from 3/4 of the rest). Plain deep ReLU nets need the gentle start
    (docs/design.md, "Training protocol")."""
    progress = min(max(progress, 0.0), 1.0)
    warmup = params.warmup_fraction
    if progress < warmup:
        return params.lr * progress / warmup
    progress = (progress - warmup) / (1.0 - warmup)
    if params.schedule == "cosine":
        return params.lr * 0.5 * (1.0 + math.cos(math.pi * progress))
    drops = (progress >= 0.5) + (progress >= 0.75)
    return params.lr * params.step_gamma**drops


def _progress(params: TrainParams, state: RunState, batches_per_epoch: int) -> float:
    if params.time_budget_s is not None:
        return state.elapsed_s / params.time_budget_s
    assert params.epochs is not None  # TrainParams holds exactly one budget
    return state.steps / (params.epochs * batches_per_epoch)


def _place(model: nn.Module, optimizer: torch.optim.Optimizer, device: torch.device) -> None:
    """Move the model (channels_last on CUDA) and the optimizer's momentum buffers to `device`."""
    cuda = device.type == "cuda"
    layout = torch.channels_last if cuda else torch.preserve_format
    model.to(device, memory_format=layout)  # type: ignore[call-overload]  # the stubs omit memory_format
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
    state: RunState,
    device: torch.device,
    should_stop: Callable[[], bool],
    on_progress: Callable[[float], None] | None = None,
) -> EpochMetrics | None:
    """Train one epoch, evaluate, and record it in `state`; None if no batch could run."""
    epoch = state.epoch + 1
    train_loss, images, seconds = _train_epoch(
        model, optimizer, data.train, params, state, epoch, device, should_stop, on_progress
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
    state: RunState,
    epoch: int,
    device: torch.device,
    should_stop: Callable[[], bool],
    on_progress: Callable[[float], None] | None = None,
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
        if state.steps == 0 and params.time_budget_s is not None and state.elapsed_s >= params.time_budget_s:
            # The schedule would be at its end (lr 0): a "run" that learns nothing must not be
            # ranked (docs/design.md, "Input").
            raise NothingTrained(
                f"nothing was trained: the time budget of {params.time_budget_s:g} s was spent before "
                f"the first batch ran (preparing it took {state.elapsed_s:.3g} s); give a larger time_budget_s"
            )
        if state.budget_spent(params):
            break
        lr = learning_rate(params, _progress(params, state, batches_per_epoch))
        for group in optimizer.param_groups:
            group["lr"] = lr
        with _autocast(device):
            loss = functional.cross_entropy(model(inputs), labels)
        optimizer.zero_grad(set_to_none=True)
        torch.autograd.backward(loss)
        if params.max_grad_norm is not None:  # the divergence safeguard; no device sync
            nn.utils.clip_grad_norm_(model.parameters(), params.max_grad_norm)
        optimizer.step()
        loss_sum += loss.detach().float() * len(labels)
        images += len(labels)
        state.steps += 1
        if on_progress is not None:  # within the epoch: the caller decides how often to store it
            on_progress(min(1.0, _progress(params, state, batches_per_epoch)))
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


def _autocast(device: torch.device) -> AbstractContextManager[Any]:
    """bf16 autocast on CUDA (no loss scaling needed for bf16); full precision on CPU."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()


def _outcome(state: RunState, recorded: dict[str, Any], stalled: str | None) -> TrainOutcome:
    last = state.history[-1]
    return TrainOutcome(
        top1_error=last.top1_error,
        top5_error=last.top5_error,
        val_loss=last.val_loss,
        epochs=state.epoch,
        train_s=state.elapsed_s,
        images_per_s=state.images / state.elapsed_s if state.elapsed_s > 0 else 0.0,
        history=list(state.history),
        provenance=recorded,
        did_not_learn=stalled,
    )
