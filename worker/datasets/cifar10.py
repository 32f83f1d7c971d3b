"""CIFAR-10 from its python batches (data_batch_1..5 and test_batch) in a folder under the data
root, read with the safe unpickler."""

from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path

import numpy as np
import torch

from app.arch.spec import InputShape
from app.jobs.params import TrainParams
from worker.datasets.safety import ArrayUnpickler
from worker.datasets.splits import Datasets, TensorImages, train_subset
from worker.datasets.transforms import fit_word
from worker.errors import DatasetError

CIFAR_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_TEST_FILE = "test_batch"


def _read_cifar_batch(path: Path, root: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise DatasetError(
            f"cifar10: {path.name} is missing in {path.parent} (expected {', '.join(CIFAR_TRAIN_FILES)}, {CIFAR_TEST_FILE})"
        )
    if not path.resolve().is_relative_to(root):
        raise DatasetError(f"cifar10: {path} is a link leading outside the data root {root}")
    try:
        with path.open("rb") as file:
            batch = ArrayUnpickler(file, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as error:
        raise DatasetError(f"cifar10: {path.name} is not a CIFAR-10 python batch: {error}") from error
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DatasetError(
            f"cifar10: {path.name} holds data of shape {data.shape}, expected (N, 3072) with N labels"
        )
    return data.reshape(-1, 3, 32, 32), labels


def load(folder: Path, data_root: Path, relative: str, input: InputShape, params: TrainParams) -> Datasets:
    """The five training batches (or `max_train_images` of them) for training, test_batch for
    validation; `folder` is already resolved inside `data_root`."""
    parts = [_read_cifar_batch(folder / name, data_root) for name in CIFAR_TRAIN_FILES]
    train_data = np.concatenate([data for data, _ in parts])
    train_labels = np.concatenate([labels for _, labels in parts])
    val_data, val_labels = _read_cifar_batch(folder / CIFAR_TEST_FILE, data_root)
    if train_labels.min(initial=0) < 0 or max(train_labels.max(initial=0), val_labels.max(initial=0)) > 9:
        raise DatasetError("cifar10: labels must lie in 0..9")
    # Normalise with the statistics of the official training set (for the real data these are
    # the well-known 0.4914, 0.4822, 0.4465 / 0.2470, 0.2435, 0.2616).
    as_float = train_data.reshape(len(train_data), 3, -1) / 255.0
    mean = tuple(float(m) for m in as_float.mean(axis=(0, 2)))
    std = tuple(float(s) for s in as_float.std(axis=(0, 2)))
    images = torch.from_numpy(np.concatenate([train_data, val_data]))
    labels = torch.from_numpy(np.concatenate([train_labels, val_labels]))
    train_rows = torch.arange(len(train_data))[train_subset(len(train_data), params)]
    val_rows = torch.arange(len(train_data), len(images))
    classes = _cifar_classes(folder)
    make_split = partial(
        TensorImages, images, labels, mean=mean, std=std, input=input, seed=params.seed, classes=classes
    )
    train = make_split(train_rows, augment=True)
    val = make_split(val_rows, augment=False)
    description = (
        f"CIFAR-10 at {relative}: {len(train)} train / {len(val)} val (test_batch) images, 3x32x32 -> "
        f"{input.channels}x{input.height}x{input.width} ({fit_word(32, 32, input)}), normalised with the "
        "training set's channel statistics; train: random crop (padding 4) + horizontal flip"
    )
    return Datasets(
        train, val, 10, f"cifar10:{relative}", "cifar10", relative, len(train), len(val), description
    )


def _cifar_classes(folder: Path) -> tuple[str, ...]:
    default = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    meta = folder / "batches.meta"
    if not meta.is_file():
        return default
    try:
        with meta.open("rb") as file:
            names = ArrayUnpickler(file, encoding="bytes").load()[b"label_names"]
        return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)[:10] or default
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError):
        return default
