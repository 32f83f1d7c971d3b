"""A device's latency model, as data (docs/design.md, "Device profiles"): per layer kind, boosted
regression trees over documented features predict a layer's time per unit of its work, fitted on
layers timed inside whole networks; a network's time is a fixed overhead plus its layers' times.
The worker fits it (scikit-learn, `worker.latency_fit`); the API evaluates it here, with the
standard library alone, so predicting needs neither torch nor scikit-learn.

Why trees: on a CPU a convolution's MACs per second vary about tenfold with its shape, and not
monotonically (oneDNN picks its algorithm by filter size, channel blocking and map size; weights
fall out of cache past a size). Fitted on the same timings of four calibrations, the version-1
model (linear per kind in a fixed cost, bytes and MACs per filter size) put 30-38% of random
networks within +-10%, these trees 60-75% (docs/design.md, "Device profiles").

The work of a layer (`work`): its MACs for conv and fc; for the others, the bytes read and
written at the profile's element size. The trees predict log(seconds / work), so a layer larger
than any calibrated keeps the efficiency of the largest: its time grows with its work.

Features of one layer at batch 1 (`FEATURES`, from its analysis report; 0 where a kind has none):
filter size, stride, input and output channels, input and output map side, log2 of its MACs,
whether its "same" padding is asymmetric (an even filter: an extra ZeroPad2d), log2 of its input
and output elements, SPP's pyramid levels; and its position in the pass, the layers that run
before it and after it (together, what else runs between two passes through it, which its own
shape does not say: refitted offline on three calibrations, it put 4 points more of the bench's
specs within +-10% on each, docs/design.md).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, Field

from app.arch.analysis import Analysis, LayerReport
from app.arch.layers import Kind
from app.arch.spec import SPP, AnyLayer

# Only ever appended to: a stored model's trees name features by their index.
FEATURES = (
    "filter_size", "stride", "in_channels", "out_channels", "in_side", "out_side", "log2_macs",
    "asymmetric_padding", "log2_in_elements", "log2_out_elements", "levels",
    "layers_before", "layers_after",  # since 2026-12-02; older trees never split on them
)  # fmt: skip
PER_MAC: tuple[Kind, ...] = ("conv", "fc")  # the kinds whose work is MACs; the others' is bytes moved
ELEMENT_BYTES = {"float32": 4, "bfloat16": 2}
# version 1 was linear per kind (before 2026-12-02): its profiles must be calibrated again
VERSION: Literal[2] = 2


def _elements(channels: int, hw: tuple[int, int] | None) -> int:
    return channels * (hw[0] * hw[1] if hw else 1)


def layer_features(report: LayerReport, layer: AnyLayer, position: int, layers: int) -> list[float]:
    """The features of one unrolled layer, in the order of FEATURES (`report` from the analysis,
    `layer` its spec layer, `position` its index among the network's `layers`)."""
    padding = report.padding or (0, 0, 0, 0)
    return [
        float(report.kernel or 0),
        float(report.stride or 1),
        float(report.in_channels),
        float(report.out_channels),
        float(report.in_hw[0] if report.in_hw else 1),
        float(report.out_hw[0] if report.out_hw else 1),
        math.log2(report.macs + 1),
        1.0 if len(set(padding)) > 1 else 0.0,
        math.log2(_elements(report.in_channels, report.in_hw)),
        math.log2(_elements(report.out_channels, report.out_hw)),
        float(len(layer.levels)) if isinstance(layer, SPP) else 0.0,
        float(position),
        float(layers - 1 - position),
    ]


def work(report: LayerReport, element_bytes: int) -> float:
    """What a layer's time is predicted per: MACs (conv, fc) or bytes moved (the others); >= 1."""
    if report.kind in PER_MAC:
        return float(max(report.macs, 1))
    moved = _elements(report.in_channels, report.in_hw) + _elements(report.out_channels, report.out_hw)
    return float(moved * element_bytes)


def layer_inputs(analysis: Analysis, element_bytes: int) -> list[tuple[LayerReport, list[float], float]]:
    """Each unrolled layer of the analysed spec with its features and its work: what the trees are
    fitted on (`worker.latency_fit`) and evaluated with (`predict`)."""
    count = len(analysis.layers)
    return [
        (report, layer_features(report, layer, position, count), work(report, element_bytes))
        for position, (report, (_, layer)) in enumerate(
            zip(analysis.layers, analysis.spec.unrolled(), strict=True)
        )
    ]


class Tree(BaseModel):
    """One regression tree, as arrays over its nodes (node 0 the root): a node with feature -1 is a
    leaf; any other goes left when x[feature] <= threshold."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    def evaluate(self, x: list[float]) -> float:
        node = 0
        while self.feature[node] >= 0:
            node = self.left[node] if x[self.feature[node]] <= self.threshold[node] else self.right[node]
        return self.value[node]


class KindModel(BaseModel):
    """log(seconds / work) of one layer of a kind = base + rate x the sum of the trees."""

    base: float
    rate: float
    trees: list[Tree]

    def seconds(self, x: list[float], units: float) -> float:
        return units * math.exp(self.base + self.rate * sum(tree.evaluate(x) for tree in self.trees))


class MacsOnly(BaseModel):
    """The baseline: latency = per_mac_s x C + fixed_s (Eqn. (1) alone)."""

    per_mac_s: float
    fixed_s: float


class LatencyModel(BaseModel):
    version: Literal[2] = VERSION
    element_bytes: int = Field(description="4 for float32, 2 for bfloat16")
    overhead_s: float = Field(description="fixed cost of running a network, beyond its layers")
    kinds: dict[str, KindModel]
    baseline: MacsOnly


class LayerTime(BaseModel):
    name: str
    seconds: float


class Prediction(BaseModel):
    layers: list[LayerTime]
    overhead_s: float
    total_s: float
    baseline_s: float  # the MACs-only baseline's answer, for comparison


def predict(analysis: Analysis, model: LatencyModel) -> Prediction:
    """Batch-1 latency of the analysed spec on the profile's device. A kind the model lacks
    (a profile older than the kind) raises KeyError naming it."""
    times = []
    for report, features, units in layer_inputs(analysis, model.element_bytes):
        kind = model.kinds.get(report.kind)
        if kind is None:
            raise KeyError(report.kind)
        times.append(LayerTime(name=report.name, seconds=kind.seconds(features, units)))
    total = model.overhead_s + sum(t.seconds for t in times)
    baseline = model.baseline.per_mac_s * analysis.conv_macs + model.baseline.fixed_s
    return Prediction(layers=times, overhead_s=model.overhead_s, total_s=total, baseline_s=baseline)
