"""The splits a dataset yields (`ImageSet`: tensors held in memory, or image files decoded per
item), and `Datasets`, what every source returns. An epoch's order and augmentation are drawn
from (seed, epoch) alone, so a resumed run sees the batches an uninterrupted one would."""

from __future__ import annotations

import logging
import multiprocessing
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from app.arch.spec import InputShape
from app.jobs.params import TrainParams
from worker.datasets.transforms import (
    centre_crop_box,
    fit_size,
    generator_for,
    match_channels,
    per_channel,
    random_crop_and_flip,
    random_resized_crop_box,
    require_variance,
    target_channels,
)

log = logging.getLogger(__name__)

Batch = tuple[torch.Tensor, torch.Tensor]  # images (N, C, H, W) float32, labels (N,) int64

# ImageNet's channel statistics: the usual choice for ImageFolder trees, too large to measure.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIDENT_LIMIT_BYTES = 1 << 30  # un-augmented sets up to this size are prepared once and kept


@dataclass(frozen=True)
class Datasets:
    """What `load_dataset` returns: the two splits and what to record about them."""

    train: ImageSet
    val: ImageSet
    num_classes: int
    name: str  # "digits", "cifar10:cifar-10-batches-py", ...
    kind: str
    path: str | None  # relative to the data root, as the job gave it
    train_size: int
    val_size: int
    description: str  # one line for provenance: source, split, preprocessing


class ImageSet(Dataset[tuple[torch.Tensor, int]]):
    """A split. `batches(...)` is what training uses; `__getitem__` serves single images with
    the same preprocessing (item `i` of epoch `e` is augmented with a seed derived from (seed, e, i)).
    """

    augment: bool
    seed: int
    classes: tuple[str, ...]

    def __len__(self) -> int:
        raise NotImplementedError

    def batches(self, batch_size: int, *, shuffle: bool, epoch: int = 0) -> Iterator[Batch]:
        raise NotImplementedError

    def order(self, shuffle: bool, epoch: int) -> torch.Tensor:
        """Indices of one epoch: a permutation drawn from (seed, epoch) alone, or 0..n-1."""
        if not shuffle:
            return torch.arange(len(self))
        return torch.randperm(len(self), generator=generator_for(self.seed, "order", epoch))


class TensorImages(ImageSet):
    """Images held in memory (uint8 0-255, or float already in [0, 1]), preprocessed as
    [crop with padding 4 + horizontal flip] -> channels -> normalise -> fit to the input: per batch
    when augmented, else once at construction (up to RESIDENT_LIMIT_BYTES).

    `rows` maps dataset index -> row of `images`, so splits and subsets share one storage.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        rows: torch.Tensor,
        *,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        input: InputShape,
        augment: bool,
        seed: int,
        classes: tuple[str, ...],
    ) -> None:
        self.images, self.labels, self.rows = images, labels, rows
        self.input, self.augment, self.seed, self.classes = input, augment, seed, classes
        channels = target_channels(images.shape[1], input.channels)
        require_variance(mean, std)
        self.mean = per_channel(mean, channels)
        self.std = per_channel(std, channels)
        self.epoch = 0  # seeds __getitem__'s augmentation; batches() sets it
        # Without augmentation every epoch sees the same tensors: prepare them once, here, so
        # the work is not on the training clock.
        self._resident: torch.Tensor | None = None
        if not augment and self._fits_in_memory():
            self._resident = self._prepare(torch.arange(len(rows)), None)[0]

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        generator = generator_for(self.seed, "item", self.epoch, index)
        images, labels = self._prepare(torch.tensor([index]), generator)
        return images[0], int(labels[0])

    def batches(self, batch_size: int, *, shuffle: bool, epoch: int = 0) -> Iterator[Batch]:
        self.epoch = epoch
        order = self.order(shuffle, epoch)
        if self._resident is not None:
            for start in range(0, len(order), batch_size):
                chosen = order[start : start + batch_size]
                yield self._resident[chosen], self.labels[self.rows[chosen]]
            return
        augmentation = generator_for(self.seed, "augment", epoch)
        for start in range(0, len(order), batch_size):
            yield self._prepare(order[start : start + batch_size], augmentation)

    def _fits_in_memory(self) -> bool:
        return (
            len(self) * 4 * self.input.channels * self.input.height * self.input.width <= RESIDENT_LIMIT_BYTES
        )

    def _prepare(self, indices: torch.Tensor, generator: torch.Generator | None) -> Batch:
        rows = self.rows[indices]
        images = self.images[rows]
        images = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        if self.augment:
            images = random_crop_and_flip(images, padding=4, generator=generator)
        images = match_channels(images, self.input.channels)
        images = (images - self.mean) / self.std
        return fit_size(images, self.input.height, self.input.width), self.labels[rows]


class FolderImages(ImageSet):
    """An ImageFolder split decoded with Pillow: random-resized-crop + flip for training, resize
    + centre crop (the 0.875 ratio, 256 -> 224) for validation. Batches come from a DataLoader."""

    def __init__(
        self,
        samples: list[tuple[Path, int]],
        *,
        input: InputShape,
        augment: bool,
        seed: int,
        classes: tuple[str, ...],
        workers: int | None = None,
    ) -> None:
        self.samples, self.input, self.augment, self.seed, self.classes = (
            samples,
            input,
            augment,
            seed,
            classes,
        )
        self.workers = default_loader_workers(len(samples)) if workers is None else workers
        self.mean = per_channel(IMAGENET_MEAN, input.channels)
        self.std = per_channel(IMAGENET_STD, input.channels)
        self.epoch = 0  # read by __getitem__ (in loader workers too) to seed the augmentation

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[index]
        with Image.open(path) as opened:
            image = opened.convert("L" if self.input.channels == 1 else "RGB")
        size = (self.input.width, self.input.height)
        if self.augment:
            rng = random.Random(f"{self.seed}:{self.epoch}:{index}")  # str seeds are stable across runs
            box = random_resized_crop_box(image.width, image.height, rng)
            image = image.resize(size, Image.Resampling.BILINEAR, box=box)
            if rng.random() < 0.5:
                image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        else:
            image = image.resize(
                size, Image.Resampling.BILINEAR, box=centre_crop_box(image.width, image.height, size)
            )
        pixels = torch.from_numpy(np.asarray(image, dtype=np.uint8).copy())
        pixels = pixels.unsqueeze(0) if pixels.ndim == 2 else pixels.permute(2, 0, 1)
        return (pixels.float() / 255.0 - self.mean[0]) / self.std[0], label

    def batches(self, batch_size: int, *, shuffle: bool, epoch: int = 0) -> Iterator[Batch]:
        self.epoch = epoch  # set before the loader forks its workers, which copy it
        order = self.order(shuffle, epoch).tolist()
        workers = self.workers
        if workers and multiprocessing.current_process().daemon:
            # A Celery prefork child is daemonic and may not start processes (celery/celery#1709).
            log.warning("daemonic process: loading images in the main process (num_workers=0)")
            workers = 0
        loader = DataLoader(self, batch_size=batch_size, sampler=order, num_workers=workers)
        yield from loader


def default_loader_workers(images: int) -> int:
    """Loader processes: none for tiny sets (starting them costs more than it saves), else one per
    spare core, at most 8."""
    if images < 1000:
        return 0
    return max(0, min(8, (os.cpu_count() or 1) - 1))


def train_subset(size: int, params: TrainParams) -> torch.Tensor:
    """Dataset indices kept for training: all, or `max_train_images` drawn from the seed (sorted,
    so a subset keeps the source's order before shuffling)."""
    if params.max_train_images is None or params.max_train_images >= size:
        return torch.arange(size)
    chosen = torch.randperm(size, generator=generator_for(params.seed, "subset"))[: params.max_train_images]
    return chosen.sort().values
