"""Spec -> torch.nn.Module, with the padding and shapes that `app.arch.analysis` inferred.

Modules are named as the analysis names layers (conv1, pool1, spp, fc1 ...), so a measured
per-layer time can be put beside the theoretical one. Each layer kind is built by one entry of
`BUILDERS` (docs/design.md, "Layer kinds").
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from app.arch.analysis import LayerReport, analyse
from app.arch.layers import Kind
from app.arch.spec import FC, SPP, Conv, GlobalAvgPool, Pool, Spec, expand


class SpatialPyramidPool(nn.Module):
    """SPPnet's pyramid: max pool to l x l bins for each level l, flatten and concatenate."""

    def __init__(self, levels: tuple[int, ...]) -> None:
        super().__init__()
        self.levels = levels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([functional.adaptive_max_pool2d(x, level).flatten(1) for level in self.levels], 1)


def _conv(layer: Conv, report: LayerReport, classifier: bool) -> nn.Module:
    """Conv + ReLU, He-initialised; asymmetric "same" padding becomes an explicit ZeroPad2d."""
    assert report.padding is not None  # the analysis pads every conv
    top, bottom, left, right = report.padding
    symmetric = top == bottom == left == right
    conv = nn.Conv2d(
        report.in_channels, layer.filters, layer.size, layer.stride,
        padding=top if symmetric else 0, groups=layer.groups,
    )  # fmt: skip
    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
    assert conv.bias is not None  # Conv2d has a bias unless told otherwise
    nn.init.zeros_(conv.bias)
    parts = [] if symmetric else [nn.ZeroPad2d((left, right, top, bottom))]
    return nn.Sequential(*parts, conv, nn.ReLU(inplace=True))


def _maxpool(layer: Pool, report: LayerReport, classifier: bool) -> nn.Module:
    return nn.MaxPool2d(layer.size, layer.stride, layer.padding)


def _avgpool(layer: Pool, report: LayerReport, classifier: bool) -> nn.Module:
    return nn.AvgPool2d(layer.size, layer.stride, layer.padding)


def _spp(layer: SPP, report: LayerReport, classifier: bool) -> nn.Module:
    return SpatialPyramidPool(layer.levels)


def _gap(layer: GlobalAvgPool, report: LayerReport, classifier: bool) -> nn.Module:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())


def _fc(layer: FC, report: LayerReport, classifier: bool) -> nn.Module:
    """[Flatten] [Dropout] Linear [ReLU]: no ReLU after the classifier."""
    h, w = report.in_hw or (1, 1)
    linear = nn.Linear(report.in_channels * h * w, layer.units)
    if classifier:
        nn.init.normal_(linear.weight, 0.0, 0.01)  # the classifier starts near uniform
    else:  # hidden fc layers feed a ReLU: He init keeps the signal's scale through them
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
    nn.init.zeros_(linear.bias)
    parts: list[nn.Module] = [nn.Flatten()] if report.in_hw else []
    parts += [nn.Dropout(layer.dropout)] if layer.dropout else []
    parts += [linear] if classifier else [linear, nn.ReLU(inplace=True)]
    return nn.Sequential(*parts)


# A builder gets the layer (of the spec class its kind names), the analysis's report on it, and
# whether it is the classifier (the network's last fc). Any: each builder takes its own class.
Builder = Callable[[Any, LayerReport, bool], nn.Module]
BUILDERS: dict[Kind, Builder] = {
    "conv": _conv,
    "maxpool": _maxpool,
    "avgpool": _avgpool,
    "spp": _spp,
    "gap": _gap,
    "fc": _fc,
}


def build_model(spec: Spec) -> nn.Sequential:
    """The network of `spec`: ReLU after every conv and every fc but the last (the classifier).
    Convs and hidden fc layers are He-initialised (Kaiming normal); the classifier gets N(0, 0.01)."""
    reports = analyse(spec).layers
    layers = expand(spec)
    last_fc = max((i for i, layer in enumerate(layers) if isinstance(layer, FC)), default=-1)
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    for i, (layer, report) in enumerate(zip(layers, reports, strict=True)):
        modules[report.name] = BUILDERS[report.kind](layer, report, i == last_fc)
    return nn.Sequential(modules)
