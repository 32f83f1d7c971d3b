"""Preprocessing shared by the datasets: seeded generators, CIFAR's crop and flip, channel
matching, the one size rule (`fit_size`) and the crop boxes of ImageFolder trees."""

from __future__ import annotations

import hashlib
import math
import random

import torch
from torch.nn import functional

from app.arch.spec import InputShape
from worker.errors import DatasetError


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
    target = target_channels(have, channels)
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


def target_channels(have: int, want: int) -> int:
    """`want`, when `match_channels` can make it of `have` channels; else DatasetError."""
    if have == want or have == 1 or (have == 3 and want == 1):
        return want
    raise DatasetError(f"cannot turn {have}-channel images into the spec's {want} input channels")


def require_variance(mean: tuple[float, ...], std: tuple[float, ...]) -> None:
    """DatasetError for channels whose training pixels are all equal: normalising divides by their
    standard deviation, 0, and the run would end as a "diverged" loss (docs/design.md, "Input")."""
    flat = [channel for channel, spread in enumerate(std) if not spread > 0]  # NaN too
    if flat:
        values = ", ".join(f"channel {c} is {mean[c]:.4f} everywhere" for c in flat)
        raise DatasetError(
            f"the training images have zero variance ({values}): normalisation divides by their "
            "standard deviation, which is 0; the data is constant and there is nothing to learn"
        )


def per_channel(values: tuple[float, ...], channels: int) -> torch.Tensor:
    """Statistics shaped to broadcast over a batch; averaged when the channel counts differ."""
    if len(values) != channels:
        values = (sum(values) / len(values),) * channels
    return torch.tensor(values, dtype=torch.float32).view(1, channels, 1, 1)


def fit_word(h: int, w: int, input: InputShape) -> str:
    """What `fit_size` does to h x w images, in a word for a description."""
    if (h, w) == (input.height, input.width):
        return "unchanged"
    if h <= input.height <= h * 1.25 and w <= input.width <= w * 1.25:
        return "zero-padded"
    return "bilinear resize"
