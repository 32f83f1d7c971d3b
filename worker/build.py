"""Spec -> torch.nn.Module, with the padding and shapes that `app.arch.analysis` inferred.

Modules are named as the analysis names layers (conv1, pool1, spp, fc1 ...), so a measured
per-layer time can be put beside the theoretical one.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional

from app.arch.analysis import analyse
from app.arch.spec import FC, SPP, Conv, Pool, Spec, expand


class SpatialPyramidPool(nn.Module):
    """SPPnet's pyramid: max pool to l x l bins for each level l, flatten and concatenate."""

    def __init__(self, levels: tuple[int, ...]) -> None:
        super().__init__()
        self.levels = levels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([functional.adaptive_max_pool2d(x, level).flatten(1) for level in self.levels], 1)


def build_model(spec: Spec) -> nn.Sequential:
    """The network of `spec`: ReLU after every conv and every fc but the last (the classifier).
    Convs and hidden fc layers are He-initialised (Kaiming normal); the classifier gets N(0, 0.01)."""
    reports = analyse(spec).layers
    layers = expand(spec)
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    last_fc = max((i for i, layer in enumerate(layers) if isinstance(layer, FC)), default=-1)
    for i, (layer, report) in enumerate(zip(layers, reports, strict=True)):
        if isinstance(layer, Conv):
            top, bottom, left, right = report.padding
            symmetric = top == bottom == left == right
            conv = nn.Conv2d(
                report.in_channels, layer.filters, layer.size, layer.stride,
                padding=top if symmetric else 0, groups=layer.groups,
            )  # fmt: skip
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(conv.bias)
            parts = [] if symmetric else [nn.ZeroPad2d((left, right, top, bottom))]
            modules[report.name] = nn.Sequential(*parts, conv, nn.ReLU(inplace=True))
        elif isinstance(layer, Pool):
            pool = nn.MaxPool2d if layer.type == "maxpool" else nn.AvgPool2d
            modules[report.name] = pool(layer.size, layer.stride, layer.padding)
        elif isinstance(layer, SPP):
            modules[report.name] = SpatialPyramidPool(layer.levels)
        elif isinstance(layer, FC):
            linear = nn.Linear(_features(report), layer.units)
            if i == last_fc:
                nn.init.normal_(linear.weight, 0.0, 0.01)  # the classifier starts near uniform
            else:  # hidden fc layers feed a ReLU: He init keeps the signal's scale through them
                nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            parts = [nn.Flatten()] if report.in_hw else []
            parts += [nn.Dropout(layer.dropout)] if layer.dropout else []
            parts += [linear] if i == last_fc else [linear, nn.ReLU(inplace=True)]
            modules[report.name] = nn.Sequential(*parts)
        else:
            modules[report.name] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Sequential(modules)


def _features(report) -> int:
    h, w = report.in_hw or (1, 1)
    return report.in_channels * h * w
