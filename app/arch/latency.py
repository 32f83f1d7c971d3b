"""A device's latency model, as data (docs/design.md, "Device profiles"): per layer kind, a linear
function of documented features with non-negative coefficients, plus a fixed per-network
overhead. The worker fits it (scikit-learn, `worker.latency_fit`) from a calibration; the API
evaluates it here, with the standard library alone, so predicting needs neither torch nor
scikit-learn.

Features of one layer at batch 1, from its analysis report (bytes at the profile's element size):

- every kind: `one` (a fixed cost per layer: dispatch, allocation), `in_bytes` (the input map
  read), `out_bytes` (the output written);
- conv: `macs_k1` ... `macs_k7` (its MACs, in the column of its filter size: larger filters
  reach other efficiencies; sizes over 7 share `macs_k7`), `macs_strided` (its MACs again when
  the stride is over 1), `macs_thin` (its MACs scaled by 16 / input channels when they are
  fewer than 16: thin inputs vectorise badly, the paper's conv1), `weight_bytes`;
- maxpool, avgpool: `window` (output elements x filter area: the elements compared or summed);
- spp: `levels` (one adaptive pooling per level), `window` (input elements x levels);
- gap: nothing more;
- fc: `macs` (at batch 1 equal to its weights: memory-bound), `weight_bytes`.

Predicted network time = overhead + the sum of its layers' times (the MACs-only baseline,
`a x C + b`, is kept beside it for comparison).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.arch.analysis import Analysis, LayerReport
from app.arch.spec import SPP, AnyLayer

THIN_CHANNELS = 16
MAX_SIZE_COLUMN = 7

CONV_FEATURES = (
    "one", "in_bytes", "out_bytes", "weight_bytes",
    *(f"macs_k{k}" for k in range(1, MAX_SIZE_COLUMN + 1)), "macs_strided", "macs_thin",
)  # fmt: skip
FEATURES: dict[str, tuple[str, ...]] = {
    "conv": CONV_FEATURES,
    "maxpool": ("one", "in_bytes", "out_bytes", "window"),
    "avgpool": ("one", "in_bytes", "out_bytes", "window"),
    "spp": ("one", "in_bytes", "out_bytes", "levels", "window"),
    "gap": ("one", "in_bytes", "out_bytes"),
    "fc": ("one", "in_bytes", "out_bytes", "macs", "weight_bytes"),
}
ELEMENT_BYTES = {"float32": 4, "bfloat16": 2}


def _elements(channels: int, hw: tuple[int, int] | None) -> int:
    return channels * (hw[0] * hw[1] if hw else 1)


def layer_features(report: LayerReport, layer: AnyLayer, element_bytes: int) -> dict[str, float]:
    """The features of one unrolled layer (`report` from the analysis, `layer` its spec layer)."""
    inputs = _elements(report.in_channels, report.in_hw)
    outputs = _elements(report.out_channels, report.out_hw)
    found: dict[str, float] = {
        "one": 1.0,
        "in_bytes": float(inputs * element_bytes),
        "out_bytes": float(outputs * element_bytes),
    }
    kind = report.kind
    if kind == "conv":
        size = min(report.kernel or 1, MAX_SIZE_COLUMN)
        found.update({name: 0.0 for name in CONV_FEATURES if name.startswith("macs_k")})
        found[f"macs_k{size}"] = float(report.macs)
        found["macs_strided"] = float(report.macs) if (report.stride or 1) > 1 else 0.0
        thin = THIN_CHANNELS / report.in_channels if report.in_channels < THIN_CHANNELS else 0.0
        found["macs_thin"] = report.macs * thin
        found["weight_bytes"] = float(report.params * element_bytes)
    elif kind in ("maxpool", "avgpool"):
        found["window"] = float(outputs * (report.kernel or 1) ** 2)
    elif kind == "spp":
        levels = len(layer.levels) if isinstance(layer, SPP) else 1
        found["levels"] = float(levels)
        found["window"] = float(inputs * levels)
    elif kind == "fc":
        found["macs"] = float(report.macs)
        found["weight_bytes"] = float(report.params * element_bytes)
    return found


class KindModel(BaseModel):
    """Seconds of one layer of a kind = sum(coef[i] x feature[i]); every coefficient >= 0."""

    features: list[str]
    coef: list[float]

    def seconds(self, values: dict[str, float]) -> float:
        return sum(c * values.get(name, 0.0) for name, c in zip(self.features, self.coef, strict=True))


class MacsOnly(BaseModel):
    """The baseline: latency = per_mac_s x C + fixed_s (Eqn. (1) alone)."""

    per_mac_s: float
    fixed_s: float


class LatencyModel(BaseModel):
    version: int = 1
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
    layers = [layer for _, layer in analysis.spec.unrolled()]
    times = []
    for report, layer in zip(analysis.layers, layers, strict=True):
        kind = model.kinds.get(report.kind)
        if kind is None:
            raise KeyError(report.kind)
        times.append(
            LayerTime(
                name=report.name, seconds=kind.seconds(layer_features(report, layer, model.element_bytes))
            )
        )
    total = model.overhead_s + sum(t.seconds for t in times)
    baseline = model.baseline.per_mac_s * analysis.conv_macs + model.baseline.fixed_s
    return Prediction(layers=times, overhead_s=model.overhead_s, total_s=total, baseline_s=baseline)
