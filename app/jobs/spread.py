"""The spread of repeated timings (docs/design.md, "Benchmark results"): deciles, the coefficient
of variation, and a distribution-free 95% interval of the median. Pure (the standard library), so
the worker measures with it and the API aggregates with it.

The interval of the median is the order-statistics one: sorted samples x(1) <= ... <= x(n), it is
[x(l), x(n + 1 - l)] with the largest l such that P(Binomial(n, 1/2) < l) <= 2.5%. It assumes only
that the runs are independent draws of one distribution, not that they are normal (timings are
skewed: a busy host adds a long right tail). With fewer than 6 runs no such l exists, and the
interval is the whole range (coverage 1 - 2^(1-n), below 95%).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from app.jobs.results import HostLoad, Timing
from app.settings import Settings

CONFIDENCE = 0.95
# A result is `noisy` past either setting (ISOCOST_BENCHMARK_NOISY_CV, _LOAD; their defaults: runs
# that vary by more than 10% of their mean, or other processes using more than a quarter of the
# host's CPU time while it ran).
DEFAULT_NOISY_CV: float = Settings.model_fields["benchmark_noisy_cv"].default
DEFAULT_NOISY_LOAD: float = Settings.model_fields["benchmark_noisy_load"].default


@dataclass(frozen=True)
class Spread:
    median: float
    p10: float
    p90: float
    cv: float  # sample standard deviation / mean; 0 for a single sample
    low: float  # the median's 95% interval
    high: float

    @property
    def half_width(self) -> float:
        """The interval's larger half, relative to the median: 0.05 is "within +-5%"."""
        if self.median <= 0:
            return math.inf
        return max(self.median - self.low, self.high - self.median) / self.median


@cache
def _lower_rank(n: int, confidence: float = CONFIDENCE) -> int:
    """The 1-based rank l of the interval's lower end (0: no interval at this confidence)."""
    tail = (1 - confidence) / 2
    total = 2**n
    below = 0  # count of outcomes with fewer than l successes, as l grows
    rank = 0
    for successes in range(n // 2 + 1):
        below += math.comb(n, successes)  # now: outcomes with <= `successes`, i.e. < successes + 1
        if below / total <= tail:
            rank = successes + 1
        else:
            break
    return rank


def median_interval(samples: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The order-statistics interval of the median (see the module's docstring)."""
    ordered = sorted(samples)
    rank = _lower_rank(len(ordered), confidence)
    if rank == 0:
        return ordered[0], ordered[-1]
    return ordered[rank - 1], ordered[len(ordered) - rank]


def coefficient_of_variation(samples: Sequence[float]) -> float:
    if len(samples) < 2:
        return 0.0
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / mean if mean > 0 else math.inf


def deciles(samples: Sequence[float]) -> tuple[float, float]:
    """p10 and p90, interpolated between observed samples ("inclusive"), so p10 <= median <= p90."""
    if len(samples) == 1:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=10, method="inclusive")
    return cuts[0], cuts[-1]


def spread(samples: Sequence[float]) -> Spread:
    if not samples:
        raise ValueError("no samples")
    p10, p90 = deciles(samples)
    low, high = median_interval(samples)
    return Spread(statistics.median(samples), p10, p90, coefficient_of_variation(samples), low, high)


def noise_reasons(
    timings: Mapping[str, Timing],
    load: HostLoad | None,
    max_cv: float = DEFAULT_NOISY_CV,
    max_load: float = DEFAULT_NOISY_LOAD,
) -> list[str]:
    """Why a benchmark's numbers should not be taken as facts; empty when they can be."""
    reasons = []
    for name, timing in timings.items():
        if timing.cv is not None and timing.cv > max_cv:
            reasons.append(f"{name}: the runs vary by {timing.cv:.0%} of their mean (over {max_cv:.0%})")
        if timing.converged is False and timing.half_width is not None:
            reasons.append(
                f"{name}: the median's 95% interval is still +-{timing.half_width:.1%} after {timing.runs} runs"
            )
    if load is not None:
        if load.other_cpu_fraction is not None:
            if load.other_cpu_fraction > max_load:
                reasons.append(
                    f"other processes used {load.other_cpu_fraction:.0%} of the host's {load.cpus} CPUs "
                    f"(over {max_load:.0%})"
                )
        elif load.load_average_end is not None and load.load_average_end > load.cpus:
            # no /proc/stat: a load average above the CPU count means runnable work was waiting
            reasons.append(f"load average {load.load_average_end:.1f} on {load.cpus} CPUs")
    return reasons
