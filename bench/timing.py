"""Timing helpers shared by the benchmarks: warm up, repeat, report the median and spread."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class Timing:
    median_s: float
    p10_s: float
    p90_s: float
    runs: int

    def __str__(self) -> str:
        return f"{_fmt(self.median_s)} (p10 {_fmt(self.p10_s)}, p90 {_fmt(self.p90_s)}, n={self.runs})"


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3f} ms"
    return f"{seconds * 1e6:.1f} us"


def measure(fn: Callable[[], object], runs: int = 20, warmup: int = 2, number: int = 1) -> Timing:
    """Median and 10th/90th percentiles of `runs` timings of `number` calls each (per call)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return summarise(samples)


def summarise(samples_s: list[float]) -> Timing:
    """Median and 10th/90th percentiles of samples in seconds."""
    deciles = statistics.quantiles(samples_s, n=10) if len(samples_s) > 1 else samples_s * 9
    return Timing(statistics.median(samples_s), deciles[0], deciles[-1], len(samples_s))


def summarise_ms(samples_ms: list[float]) -> Timing:
    """`summarise` for samples in milliseconds (performance.now() in a page)."""
    return summarise([sample / 1000 for sample in samples_ms])


def save(name: str, results: dict) -> Path:
    """Write results with the machine they were measured on to var/bench/NAME.json."""
    path = Path("var/bench") / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
    }
    path.write_text(json.dumps({"machine": machine, "results": results}, indent=2, default=_plain))
    print(f"(saved {path})")
    return path


def _plain(value: object) -> object:
    return asdict(value) if isinstance(value, Timing) else str(value)
