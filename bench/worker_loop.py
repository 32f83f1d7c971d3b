"""Training-loop overhead: isocost's `worker.train.train` against a bare hand-written PyTorch loop
on the same model (A-s36), data (digits, already shaped 3x36x36), batch size, epochs, optimizer
and threads, in the same process. Both count images per second of training-loop time (isocost's
per-epoch evaluation and checkpoint are outside that clock; its whole call is timed beside).
Target: isocost at most 5% slower than the bare loop."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch.nn import functional

from app.arch.presets import presets
from app.arch.spec import Spec
from app.jobs.params import TrainParams
from bench.timing import save
from tests.train_support import train_on_cpu
from worker.build import build_model
from worker.datasets import load_dataset
from worker.device import seed_everything

ROUNDS = 7  # alternating bare / isocost, after one warm-up run of each
EPOCHS = 3


def bare_loop(spec: Spec, images: torch.Tensor, labels: torch.Tensor, params: TrainParams) -> float:
    """What one would write by hand: shuffle, forward, loss, backward, step, a per-step cosine
    schedule. Returns training images per second."""
    seed_everything(params.seed)
    model = build_model(spec.with_classes(10)).train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=params.lr, momentum=params.momentum, weight_decay=params.weight_decay
    )
    steps = params.epochs * -(-len(images) // params.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    generator = torch.Generator().manual_seed(params.seed)
    start = time.perf_counter()
    for _ in range(params.epochs):
        order = torch.randperm(len(images), generator=generator)
        for first in range(0, len(images), params.batch_size):
            batch = order[first : first + params.batch_size]
            loss = functional.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
    return params.epochs * len(images) / (time.perf_counter() - start)


def isocost_loop(spec: Spec, params: TrainParams, checkpoint: Path | None) -> tuple[float, float]:
    """(training images per second as train() reports it, wall seconds of the whole call)."""
    start = time.perf_counter()
    outcome = train_on_cpu(spec, params, Path("."), checkpoint)
    return outcome.images_per_s, time.perf_counter() - start


def compare(spec: Spec, params: TrainParams) -> dict:
    data = load_dataset(params.dataset, Path("."), spec.input, params)
    images, labels = (torch.cat(part) for part in zip(*data.train.batches(4096, shuffle=False), strict=True))
    bare_loop(spec, images, labels, params)  # warm-up: first-call kernel selection, allocator
    isocost_loop(spec, params, None)
    bare, ours, ours_wall, with_checkpoint = [], [], [], []
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(ROUNDS):
            bare.append(bare_loop(spec, images, labels, params))
            speed, wall = isocost_loop(spec, params, None)
            ours.append(speed)
            ours_wall.append(wall)
            with_checkpoint.append(isocost_loop(spec, params, Path(folder) / f"run-{round_}.pt")[1])
    return {
        "batch_size": params.batch_size,
        "epochs": params.epochs,
        "train_images": len(images),
        "threads": torch.get_num_threads(),
        "bare_images_per_s": bare,
        "isocost_images_per_s": ours,
        "bare_median": statistics.median(bare),
        "isocost_median": statistics.median(ours),
        # Paired rounds run back to back, so a ratio per round cancels slow drifts in machine load;
        # the best round of each is the least disturbed one (timeit's advice on noisy machines).
        "ratio_paired_median": statistics.median(o / b for o, b in zip(ours, bare, strict=True)),
        "ratio_best": max(ours) / max(bare),
        "isocost_wall_s": statistics.median(ours_wall),
        "isocost_wall_with_checkpoint_s": statistics.median(with_checkpoint),
        "bare_train_s": params.epochs * len(images) / statistics.median(bare),
    }


def main() -> None:
    spec = presets()["A-s36"].spec
    print(
        f"A-s36 on digits, {EPOCHS} epochs, CPU, {torch.get_num_threads()} threads; median of {ROUNDS} rounds"
    )
    print(
        f"{'batch':>5} {'bare img/s':>16} {'isocost img/s':>16} {'ratio':>6} {'best':>6}  "
        "whole isocost call (with checkpoints) / bare loop alone"
    )
    results = {}
    for batch_size in (64, 16):
        params = TrainParams(epochs=EPOCHS, batch_size=batch_size)
        row = compare(spec, params)
        results[f"batch_{batch_size}"] = row
        print(
            f"{batch_size:>5} {row['bare_median']:>7.0f} (max {max(row['bare_images_per_s']):>4.0f}) "
            f"{row['isocost_median']:>7.0f} (max {max(row['isocost_images_per_s']):>4.0f}) "
            f"{row['ratio_paired_median']:>6.3f} {row['ratio_best']:>6.3f}  {row['isocost_wall_s']:.2f} s "
            f"({row['isocost_wall_with_checkpoint_s']:.2f} s) / {row['bare_train_s']:.2f} s"
        )
    worst = min(min(row["ratio_paired_median"], row["ratio_best"]) for row in results.values())
    print(
        "ratio: median over rounds of isocost/bare (paired); best: best isocost round / best bare round\n"
        f"isocost / bare: {worst:.3f} at worst (target >= 0.95: at most 5% slower)"
    )
    save("worker_loop", results)


if __name__ == "__main__":
    main()
