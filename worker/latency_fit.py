"""Fitting a device's latency model (docs/design.md, "Device profiles") with scikit-learn.

A calibration times every layer of whole networks inside their forward passes (and single grid
layers, for range): each layer is a row, its features those of `app.arch.latency`, its target
log(seconds / work). Per layer kind, gradient-boosted regression trees (squared error, shallow
trees, a fixed seed) are fitted on those rows and exported as arrays, so the API predicts without
scikit-learn. The per-network overhead is the median of a pass's time beyond its layers'.

Fit quality is cross-validated by source: each network (or grid layer) is predicted, layer by
layer and in total, by a fit on the others. The MACs-only baseline, a x C + b, is fitted on the
networks' times (non-negative least squares, relative error).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GroupKFold

from app.arch.analysis import Analysis
from app.arch.latency import KindModel, LatencyModel, MacsOnly, Tree, layer_inputs
from app.profiles.data import FitQuality

CV_FOLDS = 5
TREES = {"conv": 150}  # the others take a few percent of a network's time: fewer trees do
OTHER_TREES = 50
DEPTH = 4  # over four calibrations, 68% of specs within +-10%; depth 3: 59% (docs/design.md)
RATE = 0.1
MIN_LEAF = 5  # rows per leaf: a tree cannot learn one noisy timing


@dataclass(frozen=True)
class Timed:
    """One timed source: a whole network, or a grid layer alone (a network of one layer)."""

    analysis: Analysis
    layer_s: list[float]  # each layer's median time inside the passes
    pass_s: float  # the median pass
    network: bool


@dataclass(frozen=True)
class _Rows:
    kind: np.ndarray  # layer kinds
    x: np.ndarray  # features
    units: np.ndarray  # work
    seconds: np.ndarray
    source: np.ndarray  # index of the Timed it came from


def _rows(timed: Sequence[Timed], element_bytes: int) -> _Rows:
    kind, x, units, seconds, source = [], [], [], [], []
    for i, item in enumerate(timed):
        inputs = layer_inputs(item.analysis, element_bytes)
        for (report, features, layer_units), measured in zip(inputs, item.layer_s, strict=True):
            kind.append(report.kind)
            x.append(features)
            units.append(layer_units)
            seconds.append(max(measured, 1e-30))  # log() needs a positive time
            source.append(i)
    return _Rows(np.array(kind), np.array(x), np.array(units), np.array(seconds), np.array(source))


def _export(estimator: GradientBoostingRegressor, x: np.ndarray) -> KindModel:
    """The boosted trees as data; `base` recovered from one prediction (scikit-learn keeps its
    initial estimate private)."""
    trees = []
    for (fitted,) in estimator.estimators_:
        tree = fitted.tree_
        trees.append(
            Tree(
                feature=[int(f) if f >= 0 else -1 for f in tree.feature],
                threshold=[float(t) for t in tree.threshold],
                left=[int(n) for n in tree.children_left],
                right=[int(n) for n in tree.children_right],
                value=[float(v) for v in tree.value[:, 0, 0]],
            )
        )
    first = x[:1]
    summed = sum(float(fitted.predict(first)[0]) for (fitted,) in estimator.estimators_)
    base = float(estimator.predict(first)[0]) - estimator.learning_rate * summed
    return KindModel(base=base, rate=estimator.learning_rate, trees=trees)


def _fit_kinds(rows: _Rows, keep: np.ndarray) -> dict[str, KindModel]:
    kinds = {}
    for kind in sorted(set(rows.kind.tolist())):
        mine = keep & (rows.kind == kind)
        if not mine.any():
            continue
        estimator = GradientBoostingRegressor(
            n_estimators=TREES.get(kind, OTHER_TREES),
            max_depth=DEPTH,
            learning_rate=RATE,
            min_samples_leaf=MIN_LEAF,
            random_state=0,
        )
        estimator.fit(rows.x[mine], np.log(rows.seconds[mine] / rows.units[mine]))
        kinds[kind] = _export(estimator, rows.x[mine])
    return kinds


def _overhead(timed: Sequence[Timed], keep: Sequence[int]) -> float:
    extra = [timed[i].pass_s - sum(timed[i].layer_s) for i in keep if timed[i].network]
    return max(statistics.median(extra), 0.0) if extra else 0.0


def _layer_seconds(kinds: dict[str, KindModel], rows: _Rows, i: int) -> float:
    return kinds[rows.kind[i]].seconds(list(rows.x[i]), float(rows.units[i]))


def _baseline(timed: Sequence[Timed]) -> MacsOnly:
    networks = [t for t in timed if t.network] or list(timed)
    costs = np.array([[t.analysis.conv_macs, 1.0] for t in networks])
    seconds = np.array([t.pass_s for t in networks])
    scale = np.abs(costs).max(axis=0)
    scale[scale == 0] = 1.0
    fitted = LinearRegression(fit_intercept=False, positive=True)
    fitted.fit(costs / scale, seconds, sample_weight=1 / seconds**2)  # relative error
    per_mac, fixed = fitted.coef_ / scale
    return MacsOnly(per_mac_s=float(per_mac), fixed_s=float(fixed))


def _relative(predicted: float, measured: float) -> float:
    return abs(predicted / measured - 1)


def _share(errors: list[float], bound: float) -> float:
    return sum(e <= bound for e in errors) / len(errors) if errors else 0.0


def _cross_validated(timed: Sequence[Timed], rows: _Rows) -> tuple[list[float], list[float]]:
    """Relative errors of every layer and every network, each predicted by a fit without its
    source; in sample when there are too few sources to fold."""
    folds = (
        GroupKFold(CV_FOLDS).split(rows.x, groups=rows.source)
        if len(timed) >= CV_FOLDS
        else [(np.arange(len(rows.kind)), np.arange(len(rows.kind)))]
    )
    layer_errors: list[float] = []
    network_errors: list[float] = []
    for train, test in folds:
        keep = np.zeros(len(rows.kind), dtype=bool)
        keep[train] = True
        kinds = _fit_kinds(rows, keep)
        overhead = _overhead(timed, sorted(set(rows.source[train].tolist())))
        predicted: dict[int, float] = {}
        unpredictable: set[int] = set()  # a network with a layer of a kind no other source has
        for i in test:
            source = int(rows.source[i])
            if rows.kind[i] not in kinds:
                unpredictable.add(source)
                continue
            seconds = _layer_seconds(kinds, rows, int(i))
            layer_errors.append(_relative(seconds, float(rows.seconds[i])))
            predicted[source] = predicted.get(source, overhead) + seconds
        network_errors += [
            _relative(s, timed[i].pass_s)
            for i, s in predicted.items()
            if timed[i].network and i not in unpredictable
        ]
    return layer_errors, network_errors


def fit(timed: Sequence[Timed], element_bytes: int, elapsed_s: float) -> tuple[LatencyModel, FitQuality]:
    """The latency model of one calibration, and how well it predicts what it was not fitted on."""
    rows = _rows(timed, element_bytes)
    model = LatencyModel(
        element_bytes=element_bytes,
        overhead_s=_overhead(timed, range(len(timed))),
        kinds=_fit_kinds(rows, np.ones(len(rows.kind), dtype=bool)),
        baseline=_baseline(timed),
    )
    layer_errors, network_errors = _cross_validated(timed, rows)
    networks = [t for t in timed if t.network]
    baseline_errors = [
        _relative(model.baseline.per_mac_s * t.analysis.conv_macs + model.baseline.fixed_s, t.pass_s)
        for t in networks
    ]
    quality = FitQuality(
        layers=len(rows.kind),
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
