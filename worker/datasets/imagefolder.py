"""ImageFolder trees under the data root: train/ and val/, one folder per class, decoded with
Pillow as they are read."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from app.arch.spec import InputShape
from app.jobs.params import TrainParams
from worker.datasets.splits import Datasets, FolderImages, train_subset
from worker.errors import DatasetError

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".gif", ".tif", ".tiff", ".webp"}
)


def _list_images(
    split: Path, root: Path, classes: tuple[str, ...] | None
) -> tuple[tuple[str, ...], list[tuple[Path, int]]]:
    """Class folders of one split and their images. Symlinks are followed only when they stay
    inside the data root (checked per link, so a plain tree costs no extra system calls)."""

    def inside(entry: os.DirEntry[str]) -> bool:
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


def load(folder: Path, data_root: Path, relative: str, input: InputShape, params: TrainParams) -> Datasets:
    """`folder`/train and `folder`/val, with the classes of train/; `folder` is already resolved
    inside `data_root`."""
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
    train_samples = [train_samples[i] for i in train_subset(len(train_samples), params).tolist()]
    make_split = partial(FolderImages, input=input, seed=params.seed, classes=classes)
    train = make_split(train_samples, augment=True)
    val = make_split(val_samples, augment=False)
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
