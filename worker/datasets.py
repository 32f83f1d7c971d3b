"""Datasets for training jobs, all offline: scikit-learn's digits, CIFAR-10 and ImageFolder trees
from a local data root, and random tensors for timing.

Every dataset yields images already shaped for the spec's input (channels x height x width) and
normalised, in batches from `ImageSet.batches(...)`. The order and the augmentation of epoch `e`
depend only on (seed, e), never on what ran before, so a run resumed from a checkpoint sees
exactly the batches an uninterrupted run would have seen.

Sizes are fitted by one rule (`fit_size`): an image whose sides the input exceeds by at most 25%
is zero-padded around its centre (CIFAR's 32 -> 36, the s36 convention); any other is resized
(bilinear; digits' 8 -> 36). Padding happens after normalisation, so the border is the mean colour.
"""

from __future__ import annotations

import hashlib
import logging
import math
import multiprocessing
import os
import pickle
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.nn import functional
from torch.utils.data import DataLoader, Dataset

from app.arch.spec import InputShape
from app.jobs.params import DatasetRef, TrainParams

log = logging.getLogger(__name__)

Batch = tuple[torch.Tensor, torch.Tensor]  # images (N, C, H, W) float32, labels (N,) int64

CIFAR_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_TEST_FILE = "test_batch"
# ImageNet's channel statistics: the usual choice for ImageFolder trees, too large to measure.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff", ".webp"}
)
SYNTHETIC_TRAIN_IMAGES = 2048
SYNTHETIC_CLASSES = 10
SYNTHETIC_POOL = 256  # distinct random images; indices wrap around them (content is irrelevant)
RESIDENT_LIMIT_BYTES = 1 << 30  # un-augmented sets up to this size are prepared once and kept


class DatasetError(ValueError):
    """A dataset that cannot be used: bad or escaping path, missing files, wrong layout."""


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


# ---------------------------------------------------------------------------------------------
# Image sets


class ImageSet(Dataset):
    """A split. `batches(...)` is what training uses; `__getitem__` serves single images with
    the same preprocessing (item `i` of epoch `e` is augmented with a seed derived from (seed, e, i)).
    """

    augment: bool
    seed: int
    classes: tuple[str, ...]

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
        channels = _target_channels(images.shape[1], input.channels)
        self.mean = _per_channel(mean, channels)
        self.std = _per_channel(std, channels)
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
        self.mean = _per_channel(IMAGENET_MEAN, input.channels)
        self.std = _per_channel(IMAGENET_STD, input.channels)
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


# ---------------------------------------------------------------------------------------------
# Preprocessing


def generator_for(seed: int, *purpose: object) -> torch.Generator:
    """A torch generator seeded from the job seed and a purpose, e.g. ("order", epoch)."""
    digest = hashlib.sha256(repr((seed, *purpose)).encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & (2**63 - 1))


def random_crop_and_flip(
    images: torch.Tensor, padding: int, generator: torch.Generator | None
) -> torch.Tensor:
    """CIFAR's augmentation on a batch: zero-pad by `padding`, crop back to size at a random
    offset per image, and mirror half of the images left-right."""
    n, _, h, w = images.shape
    padded = functional.pad(images, (padding,) * 4)
    dy = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
    cols = dx[:, None] + torch.arange(w)
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, None, :]
    batch = torch.arange(n)[:, None, None, None]
    channel = torch.arange(images.shape[1])[None, :, None, None]
    return padded[batch, channel, rows, cols]


def match_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """Grey -> any number of channels by replication; RGB -> grey by averaging."""
    have = images.shape[1]
    target = _target_channels(have, channels)
    if have == target:
        return images
    if have == 1:
        return images.expand(-1, target, -1, -1)
    return images.mean(1, keepdim=True)


def fit_size(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Pad (zeros, centred) when the target exceeds the image by at most 25% per side, else resize."""
    h, w = images.shape[-2:]
    if (h, w) == (height, width):
        return images
    if h <= height <= h * 1.25 and w <= width <= w * 1.25:
        top, left = (height - h) // 2, (width - w) // 2
        return functional.pad(images, (left, width - w - left, top, height - h - top))
    return functional.interpolate(
        images, size=(height, width), mode="bilinear", align_corners=False, antialias=height < h or width < w
    )


def random_resized_crop_box(width: int, height: int, rng: random.Random) -> tuple[int, int, int, int]:
    """The Inception crop: 8%-100% of the area, aspect ratio 3/4-4/3; falls back to the largest
    centred crop within those ratios after 10 tries. Returns (left, top, right, bottom)."""
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(0.08, 1.0)
        ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w = round(math.sqrt(target * ratio))
        h = round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            left, top = rng.randint(0, width - w), rng.randint(0, height - h)
            return left, top, left + w, top + h
    ratio = min(max(width / height, 3 / 4), 4 / 3)
    w, h = (width, round(width / ratio)) if width / height <= ratio else (round(height * ratio), height)
    w, h = min(w, width), min(h, height)
    left, top = (width - w) // 2, (height - h) // 2
    return left, top, left + w, top + h


def centre_crop_box(width: int, height: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The box that "resize the shorter side to crop/0.875, then centre-crop" keeps, in original
    pixels (so Pillow resizes once)."""
    out_w, out_h = size
    scale = max(out_w, out_h) / 0.875 / min(width, height)  # resized pixels per original pixel
    crop_w, crop_h = min(width, out_w / scale), min(height, out_h / scale)
    left, top = (width - crop_w) / 2, (height - crop_h) / 2
    return round(left), round(top), round(left + crop_w), round(top + crop_h)


def _target_channels(have: int, want: int) -> int:
    if have == want or have == 1 or (have == 3 and want == 1):
        return want
    raise DatasetError(f"cannot turn {have}-channel images into the spec's {want} input channels")


def _per_channel(values: tuple[float, ...], channels: int) -> torch.Tensor:
    if len(values) != channels:
        values = (sum(values) / len(values),) * channels
    return torch.tensor(values, dtype=torch.float32).view(1, channels, 1, 1)


# ---------------------------------------------------------------------------------------------
# Loading


def load_dataset(ref: DatasetRef, data_root: Path, input: InputShape, params: TrainParams) -> Datasets:
    """Load the train and validation splits of `ref`, shaped for `input`.

    Paths are `data_root / ref.path`, resolved; anything outside `data_root` or missing raises
    DatasetError. `params.seed` fixes the held-out split (digits, synthetic), the subset of
    `params.max_train_images` and every epoch's order and augmentation.
    """
    if ref.kind == "digits":
        return _digits(input, params)
    if ref.kind == "synthetic":
        return _synthetic(input, params)
    if not ref.path:
        raise DatasetError(f"{ref.kind} needs a path relative to the data root")
    folder = resolve_inside(data_root, ref.path)
    root = Path(data_root).resolve()
    if ref.kind == "cifar10":
        return _cifar10(folder, root, ref.path, input, params)
    if ref.kind == "imagefolder":
        return _imagefolder(folder, root, ref.path, input, params)
    raise DatasetError(f"unknown dataset kind {ref.kind!r}")


def resolve_inside(data_root: Path, relative: str) -> Path:
    """`data_root / relative`, resolved (symlinks followed); it must be an existing directory
    inside the resolved data root."""
    root = Path(data_root).resolve()
    if not root.is_dir():
        raise DatasetError(f"data root {data_root} does not exist or is not a directory")
    target = (root / relative).resolve()
    if not target.is_relative_to(root):
        raise DatasetError(
            f"dataset path {relative!r} resolves to {target}, outside the data root {root} "
            "(absolute paths, '..' and symlinks leading out are refused)"
        )
    if not target.exists():
        raise DatasetError(f"dataset path {relative!r} does not exist under the data root {root}")
    if not target.is_dir():
        raise DatasetError(f"dataset path {relative!r} is not a directory (under the data root {root})")
    return target


def _subset(size: int, params: TrainParams) -> torch.Tensor:
    """Dataset indices kept for training: all, or `max_train_images` drawn from the seed (sorted,
    so a subset keeps the source's order before shuffling)."""
    if params.max_train_images is None or params.max_train_images >= size:
        return torch.arange(size)
    chosen = torch.randperm(size, generator=generator_for(params.seed, "subset"))[: params.max_train_images]
    return chosen.sort().values


def _digits(input: InputShape, params: TrainParams) -> Datasets:
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
    train_rows = train_rows[_subset(len(train_rows), params)]
    train_pixels = images[train_rows]
    mean, std = float(train_pixels.mean()), float(train_pixels.std())
    classes = tuple(str(c) for c in range(10))
    common = dict(mean=(mean,), std=(std,), input=input, seed=params.seed, classes=classes)
    train = TensorImages(images, labels, train_rows, augment=False, **common)
    val = TensorImages(images, labels, val_rows, augment=False, **common)
    description = (
        f"scikit-learn load_digits: {len(train)} train / {len(val)} val images (stratified split, "
        f"val_fraction {params.val_fraction:g}, seed {params.seed}), 8x8 grey -> "
        f"{input.channels}x{input.height}x{input.width} ({_fit_word(8, 8, input)}), "
        f"normalised with the train split's mean {mean:.4f} / std {std:.4f}, no augmentation"
    )
    return Datasets(train, val, 10, "digits", "digits", None, len(train), len(val), description)


def _synthetic(input: InputShape, params: TrainParams) -> Datasets:
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
    common = dict(mean=(0.5,), std=(0.29,), input=input, seed=params.seed, classes=classes)
    train = TensorImages(images, labels, rows[:train_size], augment=False, **common)
    val = TensorImages(images, labels, rows[train_size:], augment=False, **common)
    description = (
        f"synthetic: {train_size} train / {val_size} val uniform random {input.channels}x{input.height}"
        f"x{input.width} images with random labels (seed {params.seed}); for timing only, never ranked"
    )
    return Datasets(
        train, val, SYNTHETIC_CLASSES, "synthetic", "synthetic", None, train_size, val_size, description
    )


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only: a file under the data root must not be
    able to run code in the worker."""

    allowed = frozenset(
        {
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "scalar"),
            ("numpy._core.multiarray", "scalar"),
            ("numpy.core.numeric", "_frombuffer"),
            ("numpy._core.numeric", "_frombuffer"),
        }
    )

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only numpy arrays are allowed)")
        return super().find_class(module, name)


def _read_cifar_batch(path: Path, root: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise DatasetError(
            f"cifar10: {path.name} is missing in {path.parent} (expected {', '.join(CIFAR_TRAIN_FILES)}, {CIFAR_TEST_FILE})"
        )
    if not path.resolve().is_relative_to(root):
        raise DatasetError(f"cifar10: {path} is a link leading outside the data root {root}")
    try:
        with path.open("rb") as file:
            batch = _ArrayUnpickler(file, encoding="bytes").load()
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as error:
        raise DatasetError(f"cifar10: {path.name} is not a CIFAR-10 python batch: {error}") from error
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise DatasetError(
            f"cifar10: {path.name} holds data of shape {data.shape}, expected (N, 3072) with N labels"
        )
    return data.reshape(-1, 3, 32, 32), labels


def _cifar10(
    folder: Path, data_root: Path, relative: str, input: InputShape, params: TrainParams
) -> Datasets:
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
    train_rows = torch.arange(len(train_data))[_subset(len(train_data), params)]
    val_rows = torch.arange(len(train_data), len(images))
    classes = _cifar_classes(folder)
    common = dict(mean=mean, std=std, input=input, seed=params.seed, classes=classes)
    train = TensorImages(images, labels, train_rows, augment=True, **common)
    val = TensorImages(images, labels, val_rows, augment=False, **common)
    description = (
        f"CIFAR-10 at {relative}: {len(train)} train / {len(val)} val (test_batch) images, 3x32x32 -> "
        f"{input.channels}x{input.height}x{input.width} ({_fit_word(32, 32, input)}), normalised with the "
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
            names = _ArrayUnpickler(file, encoding="bytes").load()[b"label_names"]
        return tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)[:10] or default
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError):
        return default


def _list_images(
    split: Path, root: Path, classes: tuple[str, ...] | None
) -> tuple[tuple[str, ...], list[tuple[Path, int]]]:
    """Class folders of one split and their images. Symlinks are followed only when they stay
    inside the data root (checked per link, so a plain tree costs no extra system calls)."""

    def inside(entry: os.DirEntry) -> bool:
        if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(root):
            raise DatasetError(f"imagefolder: {entry.path} is a link leading outside the data root {root}")
        return True

    folders = sorted(
        e.name for e in os.scandir(split) if e.is_dir() and inside(e) and not e.name.startswith(".")
    )
    if classes is None:
        classes = tuple(folders)
    elif unknown := sorted(set(folders) - set(classes)):
        raise DatasetError(
            f"imagefolder: {split.name}/ has class folders not in train/: {', '.join(unknown[:5])}"
        )
    index = {name: i for i, name in enumerate(classes)}
    samples: list[tuple[Path, int]] = []
    for name in folders:
        files = sorted(
            Path(e.path)
            for e in os.scandir(split / name)
            if e.is_file() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES and inside(e)
        )
        samples.extend((path, index[name]) for path in files)
    return classes, samples


def _imagefolder(
    folder: Path, data_root: Path, relative: str, input: InputShape, params: TrainParams
) -> Datasets:
    splits = {}
    for split in ("train", "val"):
        path = folder / split
        if not path.is_dir():
            raise DatasetError(
                f"imagefolder: {relative}/{split}/ is missing (expected train/ and val/, one folder per class)"
            )
        if not path.resolve().is_relative_to(data_root):
            raise DatasetError(f"imagefolder: {relative}/{split} is a link leading outside the data root")
        splits[split] = path
    classes, train_samples = _list_images(splits["train"], data_root, None)
    _, val_samples = _list_images(splits["val"], data_root, classes)
    if len(classes) < 2:
        raise DatasetError(
            f"imagefolder: {relative}/train/ needs at least 2 class folders, found {len(classes)}"
        )
    for split, samples in (("train", train_samples), ("val", val_samples)):
        if not samples:
            raise DatasetError(
                f"imagefolder: no images in {relative}/{split}/ (suffixes {', '.join(sorted(IMAGE_SUFFIXES))})"
            )
    if input.channels not in (1, 3):
        raise DatasetError(
            f"imagefolder: images are grey or RGB; the spec asks for {input.channels} channels"
        )
    train_samples = [train_samples[i] for i in _subset(len(train_samples), params).tolist()]
    common = dict(input=input, seed=params.seed, classes=classes)
    train = FolderImages(train_samples, augment=True, **common)
    val = FolderImages(val_samples, augment=False, **common)
    description = (
        f"ImageFolder at {relative}: {len(classes)} classes, {len(train)} train / {len(val)} val images; "
        f"train: random-resized-crop (8-100% area) to {input.height}x{input.width} + horizontal flip; "
        f"val: resize to {max(input.height, input.width) / 0.875:.0f} + centre crop; ImageNet mean/std"
    )
    return Datasets(
        train,
        val,
        len(classes),
        f"imagefolder:{relative}",
        "imagefolder",
        relative,
        len(train),
        len(val),
        description,
    )


def _fit_word(h: int, w: int, input: InputShape) -> str:
    if (h, w) == (input.height, input.width):
        return "unchanged"
    if h <= input.height <= h * 1.25 and w <= input.width <= w * 1.25:
        return "zero-padded"
    return "bilinear resize"
