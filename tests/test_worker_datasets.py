"""Worker datasets: digits split and shapes, CIFAR-10 and ImageFolder on tiny trees written here,
synthetic tensors, and the data-root guards."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from pydantic import ValidationError

from app.arch.spec import InputShape
from app.jobs.params import DatasetRef, TrainParams
from worker.datasets import load_dataset
from worker.datasets.cifar10 import CIFAR_TEST_FILE, CIFAR_TRAIN_FILES
from worker.datasets.safety import resolve_inside
from worker.datasets.transforms import fit_size, random_crop_and_flip
from worker.errors import DatasetError

S36 = InputShape(channels=3, height=36, width=36)


def params(**changes) -> TrainParams:
    return TrainParams(epochs=1, **changes)


def all_batches(split, batch_size: int = 50, shuffle: bool = False, epoch: int = 0):
    images, labels = zip(*split.batches(batch_size, shuffle=shuffle, epoch=epoch), strict=True)
    return torch.cat(images), torch.cat(labels)


# --- digits ------------------------------------------------------------------------------------


def test_digits_split_shapes_and_normalisation(tmp_path: Path) -> None:
    data = load_dataset(DatasetRef(), tmp_path, S36, params(val_fraction=0.2))
    assert (data.name, data.kind, data.path, data.num_classes) == ("digits", "digits", None, 10)
    assert data.train_size + data.val_size == 1797
    assert data.val_size == pytest.approx(0.2 * 1797, abs=1)
    assert (len(data.train), len(data.val)) == (data.train_size, data.val_size)
    images, labels = all_batches(data.train, shuffle=True, epoch=3)
    assert images.shape == (data.train_size, 3, 36, 36) and images.dtype == torch.float32
    assert torch.equal(images[:, 0], images[:, 1]) and torch.equal(
        images[:, 0], images[:, 2]
    )  # grey replicated
    assert abs(float(images.mean())) < 0.1  # normalised with the train split's statistics
    assert set(labels.tolist()) == set(range(10))
    assert "load_digits" in data.description and "stratified" in data.description
    single, label = data.train[0]
    assert single.shape == (3, 36, 36) and isinstance(label, int)


def test_digits_split_is_seeded_and_disjoint(tmp_path: Path) -> None:
    def split(seed: int) -> tuple[set[int], set[int]]:
        data = load_dataset(DatasetRef(), tmp_path, S36, params(seed=seed))
        return set(data.train.rows.tolist()), set(data.val.rows.tolist())

    train_a, val_a = split(0)
    assert not train_a & val_a and len(train_a | val_a) == 1797
    assert split(0) == (train_a, val_a)
    assert split(1)[1] != val_a


def test_epoch_order_depends_only_on_seed_and_epoch(tmp_path: Path) -> None:
    data = load_dataset(DatasetRef(), tmp_path, S36, params(seed=5))
    first = all_batches(data.train, shuffle=True, epoch=2)[1]
    all_batches(data.train, shuffle=True, epoch=1)  # another epoch in between changes nothing
    again = all_batches(data.train, shuffle=True, epoch=2)[1]
    other = all_batches(data.train, shuffle=True, epoch=3)[1]
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_max_train_images_is_a_deterministic_subset(tmp_path: Path) -> None:
    whole = load_dataset(DatasetRef(), tmp_path, S36, params())
    small = load_dataset(DatasetRef(), tmp_path, S36, params(max_train_images=100))
    again = load_dataset(DatasetRef(), tmp_path, S36, params(max_train_images=100))
    assert small.train_size == len(small.train) == 100
    assert small.val_size == whole.val_size  # the held-out split is untouched
    assert set(small.train.rows.tolist()) <= set(whole.train.rows.tolist())
    assert torch.equal(small.train.rows, again.train.rows)


def test_digits_single_channel_and_other_size(tmp_path: Path) -> None:
    data = load_dataset(DatasetRef(), tmp_path, InputShape(channels=1, height=20, width=24), params())
    images, _ = all_batches(data.val)
    assert images.shape == (data.val_size, 1, 20, 24)


# --- synthetic ---------------------------------------------------------------------------------


def test_synthetic(tmp_path: Path) -> None:
    data = load_dataset(
        DatasetRef(kind="synthetic"), tmp_path, S36, params(max_train_images=300, val_fraction=0.1)
    )
    assert (data.train_size, data.val_size, data.num_classes) == (300, 30, 10)
    images, labels = all_batches(data.train)
    assert images.shape == (300, 3, 36, 36) and labels.max() < 10
    assert "timing only" in data.description


# --- CIFAR-10 ----------------------------------------------------------------------------------


def write_cifar(folder: Path, per_batch: int = 8, seed: int = 0) -> None:
    """The python-pickle layout: data_batch_1..5 and test_batch, each {b'data': uint8 (N, 3072),
    b'labels': [int]}, plus batches.meta."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for name in (*CIFAR_TRAIN_FILES, CIFAR_TEST_FILE):
        batch = {
            b"batch_label": name.encode(),
            b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, per_batch).tolist(),
        }
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {b"label_names": [f"class{i}".encode() for i in range(10)], b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))


def test_cifar10_loader_pads_32_to_36_and_augments(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar" / "batches-py")
    ref = DatasetRef(kind="cifar10", path="cifar/batches-py")
    data = load_dataset(ref, tmp_path, S36, params())
    assert (data.train_size, data.val_size, data.num_classes) == (40, 8, 10)
    assert data.name == "cifar10:cifar/batches-py" and data.path == "cifar/batches-py"
    assert data.train.classes[0] == "class0"
    val, _ = all_batches(data.val)
    assert val.shape == (8, 3, 36, 36)
    # Zero padding by 2 after normalisation: a border of exact zeros, a non-zero interior.
    border = torch.cat([val[..., :2, :].flatten(), val[..., -2:, :].flatten(), val[..., :2].flatten()])
    assert torch.count_nonzero(border) == 0 and torch.count_nonzero(val[..., 2:-2, 2:-2]) > 0
    assert torch.equal(val, all_batches(data.val)[0])  # validation is deterministic
    # Training batches are augmented (crop + flip), reproducibly for a given (seed, epoch).
    epoch1, labels1 = all_batches(data.train, shuffle=True, epoch=1)
    again, labels_again = all_batches(data.train, shuffle=True, epoch=1)
    epoch2, _ = all_batches(data.train, shuffle=True, epoch=2)
    assert epoch1.shape == (40, 3, 36, 36)
    assert torch.equal(epoch1, again) and torch.equal(labels1, labels_again)
    assert not torch.equal(epoch1, epoch2)


def test_cifar10_subset_and_missing_file(tmp_path: Path) -> None:
    write_cifar(tmp_path / "c")
    data = load_dataset(DatasetRef(kind="cifar10", path="c"), tmp_path, S36, params(max_train_images=10))
    assert data.train_size == 10 and data.val_size == 8
    (tmp_path / "c" / "data_batch_3").unlink()
    with pytest.raises(DatasetError, match="data_batch_3 is missing"):
        load_dataset(DatasetRef(kind="cifar10", path="c"), tmp_path, S36, params())


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo owned",))


def test_cifar10_pickle_cannot_run_code(tmp_path: Path) -> None:
    write_cifar(tmp_path / "c")
    (tmp_path / "c" / "data_batch_1").write_bytes(pickle.dumps({b"data": Exploit(), b"labels": []}))
    with pytest.raises(DatasetError, match="refusing to load"):
        load_dataset(DatasetRef(kind="cifar10", path="c"), tmp_path, S36, params())


def test_random_crop_and_flip_keeps_content() -> None:
    images = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).view(2, 3, 4, 4) + 1
    out = random_crop_and_flip(images, padding=1, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape
    assert set(out.unique().tolist()) <= set(images.unique().tolist()) | {0.0}  # pixels or padding


def test_fit_size_pads_small_differences_and_resizes_large_ones() -> None:
    images = torch.ones(1, 1, 32, 32)
    padded = fit_size(images, 36, 36)
    assert padded.shape == (1, 1, 36, 36) and padded.sum() == 32 * 32
    assert fit_size(torch.ones(1, 1, 8, 8), 36, 36).shape == (1, 1, 36, 36)
    assert fit_size(images, 16, 16).shape == (1, 1, 16, 16)


# --- ImageFolder -------------------------------------------------------------------------------


def write_image_tree(root: Path, classes=("cat", "dog", "eel"), per_class: int = 3) -> None:
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                pixels = rng.integers(0, 256, (20 + i, 30, 3), dtype=np.uint8)
                pixels[..., c] = 255
                Image.fromarray(pixels).save(folder / f"{i}.png")
            (folder / "notes.txt").write_text("not an image")


def test_imagefolder_tree(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "tiny")
    data = load_dataset(DatasetRef(kind="imagefolder", path="tiny"), tmp_path, S36, params())
    assert (data.num_classes, data.train_size, data.val_size) == (3, 9, 9)
    assert data.train.classes == ("cat", "dog", "eel")
    val, labels = all_batches(data.val, batch_size=4)
    assert val.shape == (9, 3, 36, 36) and labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert torch.equal(val, all_batches(data.val, batch_size=4)[0])  # resize + centre crop: fixed
    train, _ = all_batches(data.train, shuffle=True, epoch=1)
    assert train.shape == (9, 3, 36, 36)
    assert torch.equal(train, all_batches(data.train, shuffle=True, epoch=1)[0])
    assert not torch.equal(train, all_batches(data.train, shuffle=True, epoch=2)[0])
    grey = load_dataset(
        DatasetRef(kind="imagefolder", path="tiny"),
        tmp_path,
        InputShape(channels=1, height=16, width=16),
        params(),
    )
    assert grey.val[0][0].shape == (1, 16, 16)


def test_imagefolder_layout_errors(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "tiny")
    (tmp_path / "tiny" / "val" / "yak").mkdir()
    with pytest.raises(DatasetError, match="not in train/: yak"):
        load_dataset(DatasetRef(kind="imagefolder", path="tiny"), tmp_path, S36, params())
    (tmp_path / "flat" / "train").mkdir(parents=True)
    with pytest.raises(DatasetError, match="val/ is missing"):
        load_dataset(DatasetRef(kind="imagefolder", path="flat"), tmp_path, S36, params())


def test_imagefolder_file_link_leaving_the_root(tmp_path: Path) -> None:
    write_image_tree(tmp_path / "root" / "tiny")
    outside = tmp_path / "secret.png"
    outside.write_bytes((tmp_path / "root" / "tiny" / "train" / "cat" / "0.png").read_bytes())
    (tmp_path / "root" / "tiny" / "train" / "cat" / "link.png").symlink_to(outside)
    with pytest.raises(DatasetError, match="link leading outside the data root"):
        load_dataset(DatasetRef(kind="imagefolder", path="tiny"), tmp_path / "root", S36, params())


# --- the data-root guards ----------------------------------------------------------------------


def test_dataset_ref_refuses_absolute_and_parent_paths_at_submission() -> None:
    for path in ("/etc", "../outside", "a/../../b", "~/data", "C:/data"):
        with pytest.raises(ValidationError, match="relative to the data root"):
            DatasetRef(kind="cifar10", path=path)


@pytest.mark.parametrize("path", ["/etc", "../outside", "inside/../../outside"])
def test_paths_leaving_the_root_are_refused_even_unvalidated(tmp_path: Path, path: str) -> None:
    # A reference read back from storage unvalidated must not escape either.
    root = tmp_path / "root"
    (root / "inside").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    ref = DatasetRef.model_construct(kind="cifar10", path=path)
    with pytest.raises(DatasetError, match="outside the data root"):
        load_dataset(ref, root, S36, params())


def test_symlink_escaping_the_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    write_cifar(tmp_path / "elsewhere")
    (root / "cifar").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(DatasetError, match=r"'cifar' resolves to .*elsewhere, outside the data root"):
        load_dataset(DatasetRef(kind="cifar10", path="cifar"), root, S36, params())


def test_symlink_inside_the_root_is_followed(tmp_path: Path) -> None:
    write_cifar(tmp_path / "real")
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    data = load_dataset(DatasetRef(kind="cifar10", path="alias"), tmp_path, S36, params())
    assert data.train_size == 40


def test_missing_or_non_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="'nope' does not exist under the data root"):
        load_dataset(DatasetRef(kind="cifar10", path="nope"), tmp_path, S36, params())
    (tmp_path / "file").write_text("x")
    with pytest.raises(DatasetError, match="'file' is not a directory"):
        resolve_inside(tmp_path, "file")
    with pytest.raises(DatasetError, match=r"data root .* does not exist"):
        resolve_inside(tmp_path / "no-root", "x")
    assert issubclass(DatasetError, ValueError)
