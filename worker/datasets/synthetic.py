"""Random tensors for timing: what a benchmark or a throughput test trains on when the images'
content does not matter."""

from __future__ import annotations

from functools import partial

import torch

from app.arch.spec import InputShape
from app.jobs.params import TrainParams
from worker.datasets.splits import Datasets, TensorImages
from worker.datasets.transforms import generator_for

SYNTHETIC_TRAIN_IMAGES = 2048
SYNTHETIC_CLASSES = 10
SYNTHETIC_POOL = 256  # distinct random images; indices wrap around them (content is irrelevant)


def load(input: InputShape, params: TrainParams) -> Datasets:
    """Random images with random labels, drawn from the seed, already at the input's shape."""
    train_size = params.max_train_images or SYNTHETIC_TRAIN_IMAGES
    val_size = max(1, round(train_size * params.val_fraction))
    generator = generator_for(params.seed, "synthetic")
    # A pool of random images with random labels; dataset indices wrap around it (content is
    # irrelevant for timing, and the pool keeps memory small at any input size).
    shape = (SYNTHETIC_POOL, input.channels, input.height, input.width)
    images = torch.randint(0, 256, shape, generator=generator, dtype=torch.uint8)
    labels = torch.randint(0, SYNTHETIC_CLASSES, (SYNTHETIC_POOL,), generator=generator)
    rows = torch.arange(train_size + val_size) % SYNTHETIC_POOL
    classes = tuple(str(c) for c in range(SYNTHETIC_CLASSES))
    make_split = partial(
        TensorImages, images, labels, mean=(0.5,), std=(0.29,), input=input, seed=params.seed, classes=classes
    )
    train = make_split(rows[:train_size], augment=False)
    val = make_split(rows[train_size:], augment=False)
    description = (
        f"synthetic: {train_size} train / {val_size} val uniform random {input.channels}x{input.height}"
        f"x{input.width} images with random labels (seed {params.seed}); for timing only, never ranked"
    )
    return Datasets(
        train, val, SYNTHETIC_CLASSES, "synthetic", "synthetic", None, train_size, val_size, description
    )
