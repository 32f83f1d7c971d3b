"""scikit-learn's digits (1797 8x8 grey images, bundled with the library): small enough to train
on a CPU in seconds."""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from app.arch.spec import InputShape
from app.jobs.params import TrainParams
from worker.datasets.splits import Datasets, TensorImages, train_subset
from worker.datasets.transforms import fit_word
from worker.errors import DatasetError


def load(input: InputShape, params: TrainParams) -> Datasets:
    """scikit-learn's 8x8 digits, split into train and validation by the seed (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.from_numpy(digits.images / 16.0).float().unsqueeze(1)  # (1797, 1, 8, 8) in [0, 1]
    labels = torch.from_numpy(digits.target).long()
    try:
        train_rows, val_rows = train_test_split(
            np.arange(len(labels)),
            test_size=params.val_fraction,
            random_state=params.seed,
            stratify=digits.target,
        )
    except ValueError as error:  # a split too small to hold every class
        raise DatasetError(
            f"digits: val_fraction {params.val_fraction:g} cannot be split: {error}"
        ) from error
    train_rows = torch.from_numpy(np.sort(train_rows))
    val_rows = torch.from_numpy(np.sort(val_rows))
    train_rows = train_rows[train_subset(len(train_rows), params)]
    train_pixels = images[train_rows]
    mean, std = float(train_pixels.mean()), float(train_pixels.std())
    classes = tuple(str(c) for c in range(10))
    make_split = partial(
        TensorImages, images, labels, mean=(mean,), std=(std,), input=input, seed=params.seed, classes=classes
    )
    train = make_split(train_rows, augment=False)
    val = make_split(val_rows, augment=False)
    description = (
        f"scikit-learn load_digits: {len(train)} train / {len(val)} val images (stratified split, "
        f"val_fraction {params.val_fraction:g}, seed {params.seed}), 8x8 grey -> "
        f"{input.channels}x{input.height}x{input.width} ({fit_word(8, 8, input)}), "
        f"normalised with the train split's mean {mean:.4f} / std {std:.4f}, no augmentation"
    )
    return Datasets(train, val, 10, "digits", "digits", None, len(train), len(val), description)
