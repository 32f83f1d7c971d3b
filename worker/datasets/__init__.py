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

from pathlib import Path

from app.arch.spec import InputShape
from app.jobs.params import DatasetRef, TrainParams
from worker.datasets import cifar10, digits, imagefolder, synthetic
from worker.datasets.safety import resolve_inside
from worker.datasets.splits import Datasets
from worker.errors import DatasetError


def load_dataset(ref: DatasetRef, data_root: Path, input: InputShape, params: TrainParams) -> Datasets:
    """Load the train and validation splits of `ref`, shaped for `input`.

    Paths are `data_root / ref.path`, resolved; anything outside `data_root` or missing raises
    DatasetError. `params.seed` fixes the held-out split (digits, synthetic), the subset of
    `params.max_train_images` and every epoch's order and augmentation.
    """
    if ref.kind == "digits":
        return digits.load(input, params)
    if ref.kind == "synthetic":
        return synthetic.load(input, params)
    if not ref.path:
        raise DatasetError(f"{ref.kind} needs a path relative to the data root")
    folder = resolve_inside(data_root, ref.path)
    root = Path(data_root).resolve()
    if ref.kind == "cifar10":
        return cifar10.load(folder, root, ref.path, input, params)
    if ref.kind == "imagefolder":
        return imagefolder.load(folder, root, ref.path, input, params)
    raise DatasetError(f"unknown dataset kind {ref.kind!r}")
