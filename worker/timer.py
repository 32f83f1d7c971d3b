"""Timing one call (docs/design.md, "Benchmark results"), as timm's benchmark.py and
torch.utils.benchmark do it: `warmup` untimed calls, then timed runs. A run repeats the call
enough times to last at least `MIN_RUN_S` (so a 20 us layer is not timed by a clock that ticks in
us) and reports the time per call; on CUDA the device is synchronised before and after each run.

At least `repeats` runs are taken; then runs are added, half as many again each round, until the
median's 95% interval (app.jobs.spread) is within +-`precision`, `cap` runs are reached, or the
timed runs of this one call have lasted `GROW_LIMIT_S` (a large model on a CPU must not time one
number for an hour).
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.jobs.results import Timing
from app.jobs.spread import spread
from worker.errors import Cancelled

MIN_RUN_S = 2e-3  # each timed run lasts at least this long
MAX_CALLS_PER_RUN = 1000
GROW_LIMIT_S = 30.0  # runs are added only while one timing has taken less than this
Pass = tuple[list[float], float]  # each stage's seconds inside one pass, and the pass's


@dataclass(frozen=True)
class Plan:
    warmup: int
    repeats: int  # at least this many runs
    cap: int  # at most this many
    precision: float  # the median's 95% interval within +-this stops the growth


class Timer:
    def __init__(self, plan: Plan, sync: Callable[[], None], should_stop: Callable[[], bool]) -> None:
        self.plan, self.sync, self.should_stop = plan, sync, should_stop

    def _check(self) -> None:
        if self.should_stop():
            raise Cancelled("benchmark cancelled")

    def _run(self, call: Callable[[], object], calls: int) -> float:
        self._check()
        self.sync()
        start = time.perf_counter()
        for _ in range(calls):
            call()
        self.sync()
        return (time.perf_counter() - start) / calls

    def measure(self, call: Callable[[], object], batch: int) -> Timing:
        for _ in range(self.plan.warmup):
            self._check()
            call()
        once = self._run(call, 1)
        calls = min(MAX_CALLS_PER_RUN, max(1, math.ceil(MIN_RUN_S / max(once, 1e-9))))
        started = time.monotonic()
        samples = [self._run(call, calls) for _ in range(self.plan.repeats)]
        while (
            len(samples) < self.plan.cap
            and spread(samples).half_width > self.plan.precision
            and time.monotonic() - started < GROW_LIMIT_S
        ):
            more = min(max(1, len(samples) // 2), self.plan.cap - len(samples))
            samples += [self._run(call, calls) for _ in range(more)]
        return timing(samples, batch, calls, self.plan.precision)

    def passes(
        self, stages: Sequence[Callable[[Any], Any]], first: Any, count: int, warmup: int
    ) -> list[Pass]:
        """`count` timed passes through `stages` (`first` into the first, each one's output into the
        next) after `warmup` untimed ones: each stage's time inside the pass, and the pass's. A
        network's layers timed in context, their inputs and weights evicted by the layers between,
        as they run (a layer timed alone, called again and again, finds them in cache)."""

        def one_pass() -> Pass:
            self._check()
            times, value = [], first
            self.sync()
            began = time.perf_counter()
            for stage in stages:
                start = time.perf_counter()
                value = stage(value)
                self.sync()
                times.append(time.perf_counter() - start)
            return times, time.perf_counter() - began

        for _ in range(warmup):
            one_pass()
        return [one_pass() for _ in range(count)]


def medians(passes: Sequence[Pass]) -> tuple[list[float], float]:
    """Each stage's median time over `passes`, and the median pass."""
    stages = len(passes[0][0])
    per_stage = [statistics.median(times[i] for times, _ in passes) for i in range(stages)]
    return per_stage, statistics.median(total for _, total in passes)


def timing(samples: list[float], batch: int, calls: int, precision: float) -> Timing:
    """The Timing of `samples` (seconds per call, one per run)."""
    found = spread(samples)
    return Timing(
        batch=batch,
        median_s=found.median,
        p10_s=found.p10,
        p90_s=found.p90,
        runs=len(samples),
        calls_per_run=calls,
        images_per_s=batch / found.median,
        images_per_s_p10=batch / found.p90,
        images_per_s_p90=batch / found.p10,
        cv=found.cv,
        median_low_s=found.low,
        median_high_s=found.high,
        half_width=found.half_width,
        converged=found.half_width <= precision,
    )
