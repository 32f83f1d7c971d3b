"""Fitting a device's latency model (docs/design.md, "Device profiles") with scikit-learn.

The model is linear in the features of `app.arch.latency`, per layer kind, plus a per-network
overhead, so a whole network's time is linear in the sums of its layers' features: single layers
and whole networks are fitted together, as rows of one least-squares problem (columns: each kind's
features, and the overhead, 1 for a network). Layers alone teach the coefficients what each
feature costs; networks teach them what layers cost inside a network (on a CPU, 1.2-1.6x their
time alone: caches no longer hold their inputs and weights) and the overhead. Networks and single
layers weigh equally in all, and every row by 1 / time^2, so relative rather than absolute error
is minimised (a 20 us pool counts as much as a 20 ms conv). Coefficients are non-negative
(`LinearRegression(positive=True)`: no layer gets faster with more work).

The MACs-only baseline, a x C + b, is fitted the same way on the same rows. Only coefficients
leave this module: the API predicts from them without scikit-learn.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import KFold

from app.arch.analysis import Analysis
from app.arch.latency import FEATURES, KindModel, LatencyModel, MacsOnly, layer_features
from app.profiles.data import FitQuality

CV_FOLDS = 5
COLUMNS = [(kind, name) for kind, names in FEATURES.items() for name in names] + [("network", "overhead")]
_INDEX = {column: i for i, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class Sample:
    analysis: Analysis  # a one-layer network
    seconds: float  # its layer's median batch-1 time, the module alone


def _positive_fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Non-negative coefficients minimising sum(weight x (x @ c - y)^2). Columns are scaled to a
    maximum of 1 first: MACs (1e9) and the constant (1) in one least-squares problem."""
    scale = np.abs(x).max(axis=0)
    scale[scale == 0] = 1.0
    model = LinearRegression(fit_intercept=False, positive=True)
    model.fit(x / scale, y, sample_weight=weight)
    coef: np.ndarray = model.coef_ / scale
    return coef


def _row(analysis: Analysis, element_bytes: int, network: bool) -> np.ndarray:
    """The summed features of the analysed layers, in their kinds' columns."""
    row = np.zeros(len(COLUMNS))
    for report, (_, layer) in zip(analysis.layers, analysis.spec.unrolled(), strict=True):
        for name, value in layer_features(report, layer, element_bytes).items():
            row[_INDEX[(report.kind, name)]] += value
    row[_INDEX[("network", "overhead")]] = 1.0 if network else 0.0
    return row


def _weights(y: np.ndarray, is_network: np.ndarray) -> np.ndarray:
    """1 / time^2, scaled so that the networks and the single layers weigh equally in all."""
    weight = 1.0 / y**2
    networks = int(is_network.sum())
    if 0 < networks < len(y):
        weight[is_network] *= (len(y) - networks) / networks
    return weight


def _cross_validated(x: np.ndarray, y: np.ndarray, is_network: np.ndarray) -> np.ndarray:
    """Each row predicted by a fit without it (k-fold); in sample when there are too few rows."""
    if len(y) < 2 * CV_FOLDS:
        return x @ _positive_fit(x, y, _weights(y, is_network))
    predicted = np.empty_like(y)
    for train, test in KFold(CV_FOLDS, shuffle=True, random_state=0).split(x):
        predicted[test] = x[test] @ _positive_fit(x[train], y[train], _weights(y[train], is_network[train]))
    return predicted


def _relative_errors(predicted: np.ndarray, measured: np.ndarray) -> list[float]:
    return [float(e) for e in np.abs(predicted / measured - 1)]


def _share(errors: list[float], bound: float) -> float:
    return sum(e <= bound for e in errors) / len(errors) if errors else 0.0


def fit(
    samples: Sequence[Sample],
    networks: Sequence[tuple[Analysis, float]],
    element_bytes: int,
    elapsed_s: float,
) -> tuple[LatencyModel, FitQuality]:
    """The latency model of one calibration, and how well it predicts rows it was not fitted on."""
    analyses = [s.analysis for s in samples] + [a for a, _ in networks]
    x = np.array([_row(a, element_bytes, network=i >= len(samples)) for i, a in enumerate(analyses)])
    y = np.array([s.seconds for s in samples] + [t for _, t in networks], dtype=float)
    is_network = np.arange(len(y)) >= len(samples)
    coef = _positive_fit(x, y, _weights(y, is_network))
    present = {report.kind for a in analyses for report in a.layers}
    kinds = {
        kind: KindModel(features=list(names), coef=[float(coef[_INDEX[(kind, name)]]) for name in names])
        for kind, names in FEATURES.items()
        if kind in present
    }
    costs = np.array([[a.conv_macs, 1.0] for a in analyses])
    per_mac, fixed = _positive_fit(costs, y, _weights(y, is_network))
    model = LatencyModel(
        element_bytes=element_bytes,
        overhead_s=float(coef[_INDEX[("network", "overhead")]]),
        kinds=kinds,
        baseline=MacsOnly(per_mac_s=float(per_mac), fixed_s=float(fixed)),
    )

    errors = _relative_errors(_cross_validated(x, y, is_network), y)
    layer_errors, network_errors = errors[: len(samples)], errors[len(samples) :]
    baseline_errors = _relative_errors(costs[is_network] @ np.array([per_mac, fixed]), y[is_network])
    quality = FitQuality(
        layers=len(samples),
        networks=len(networks),
        cv_folds=CV_FOLDS,
        layer_median_abs_error=statistics.median(layer_errors) if layer_errors else 0.0,
        layer_within_10=_share(layer_errors, 0.10),
        layer_within_20=_share(layer_errors, 0.20),
        network_median_abs_error=statistics.median(network_errors) if network_errors else None,
        baseline_network_median_abs_error=statistics.median(baseline_errors) if baseline_errors else None,
        calibration_s=elapsed_s,
    )
    return model, quality
