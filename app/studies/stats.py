"""A study's statistics (docs/design.md, "Studies"): per model the mean, sample standard deviation
and 95% Student-t interval of top-1 error over seeds; per relation edge the difference of means
with its Welch-Satterthwaite 95% interval, Welch's t-test p-value, and a verdict.

Errors are percent; a difference is target minus source, so a negative difference means the
target has the lower error ("better"). A verdict needs at least two runs on each side.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats

ALPHA = 0.05  # 95% intervals; a difference is significant at p < ALPHA
Verdict = Literal["better", "worse", "within noise"]


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    std: float | None  # sample (n - 1); None below 2 values
    ci95: tuple[float, float] | None  # Student-t interval of the mean; None below 2 values


def summary(values: Sequence[float]) -> Summary:
    n = len(values)
    if n == 0:
        return Summary(0, None, None, None)
    mean = statistics.fmean(values)
    if n < 2:
        return Summary(n, mean, None, None)
    std = statistics.stdev(values)
    half = float(stats.t.ppf(1 - ALPHA / 2, n - 1)) * std / math.sqrt(n)
    return Summary(n, mean, std, (mean - half, mean + half))


@dataclass(frozen=True)
class Comparison:
    difference: float | None  # mean(target) - mean(source), percentage points
    ci95: tuple[float, float] | None
    p_value: float | None
    verdict: Verdict | None  # None: fewer than two runs on a side


def compare(source: Sequence[float], target: Sequence[float]) -> Comparison:
    """Welch's unequal-variance t-test of target against source."""
    if not source or not target:
        return Comparison(None, None, None, None)
    difference = statistics.fmean(target) - statistics.fmean(source)
    if len(source) < 2 or len(target) < 2:
        return Comparison(difference, None, None, None)
    va, vb = statistics.variance(source) / len(source), statistics.variance(target) / len(target)
    se = math.sqrt(va + vb)
    if se == 0:  # both sides constant: the t statistic is undefined, the difference exact
        p = 1.0 if difference == 0 else 0.0
        ci = (difference, difference)
    else:
        p = float(stats.ttest_ind(target, source, equal_var=False).pvalue)
        # Welch-Satterthwaite degrees of freedom, as ttest_ind uses for its p-value
        df = (va + vb) ** 2 / (va**2 / (len(source) - 1) + vb**2 / (len(target) - 1))
        half = float(stats.t.ppf(1 - ALPHA / 2, df)) * se
        ci = (difference - half, difference + half)
    verdict: Verdict = "within noise"
    if p < ALPHA:
        verdict = "better" if difference < 0 else "worse"
    return Comparison(difference, ci, p, verdict)
