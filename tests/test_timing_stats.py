"""Benchmarks report their spread (docs/design.md, "Benchmark results"): the median's interval,
the coefficient of variation and the `noisy` flag on synthetic timings; runs that grow until the
interval is narrow; flags raised only beyond the measured spread; the host's load; and the
leaderboard's median over every benchmark. Correctness only, never speed."""

from __future__ import annotations

import math
import multiprocessing
import statistics
import time

import pytest

import worker.timer as timer_module
from app.arch.analysis import analyse
from app.arch.presets import presets
from app.jobs.results import BenchmarkDetails, HostLoad, Timing
from app.jobs.spread import coefficient_of_variation, median_interval, noise_reasons, spread
from tests.test_api_leaderboard import architecture, budget, get_board, mine, protocol, results  # noqa: F401
from worker.benchmark import compare_layers
from worker.hostload import LoadProbe
from worker.timer import Plan, Timer, timing


def coverage(n: int, rank: int) -> float:
    """P(x(rank) <= median <= x(n + 1 - rank)) for n draws of a continuous distribution."""
    below = sum(math.comb(n, i) for i in range(rank)) / 2**n
    return 1 - 2 * below


@pytest.mark.parametrize("n", [6, 7, 10, 30, 31, 100, 301])
def test_the_median_interval_is_the_narrowest_order_statistics_interval_at_95(n: int) -> None:
    samples = [float(i) for i in range(1, n + 1)]  # x(i) = i
    low, high = median_interval(list(reversed(samples)))  # order does not matter
    rank = int(low)
    assert high == n + 1 - rank  # symmetric ranks
    assert coverage(n, rank) >= 0.95 > coverage(n, rank + 1)
    assert low <= statistics.median(samples) <= high


def test_known_intervals_and_too_few_runs() -> None:
    assert median_interval([float(i) for i in range(1, 31)]) == (10.0, 21.0)  # n = 30: ranks 10 and 21
    assert median_interval([5.0, 1.0, 3.0, 2.0, 4.0]) == (1.0, 5.0)  # n = 5: no 95% interval, the range
    assert median_interval([2.0]) == (2.0, 2.0)


def test_coefficient_of_variation_and_spread() -> None:
    assert coefficient_of_variation([1.0, 2.0, 3.0]) == pytest.approx(0.5)  # sd 1 over mean 2
    assert coefficient_of_variation([4.0]) == 0.0
    found = spread([10.0] * 9 + [20.0])
    assert found.median == 10.0 and found.low == found.high == 10.0 and found.half_width == 0.0
    assert found.p90 == pytest.approx(11.0)  # "inclusive" deciles interpolate between samples
    assert found.cv == pytest.approx(statistics.stdev([10.0] * 9 + [20.0]) / 11.0)


def synthetic(
    cv: float | None = 0.02, half_width: float | None = 0.01, converged: bool | None = True
) -> Timing:
    return Timing(batch=1, median_s=0.01, p10_s=0.009, p90_s=0.011, runs=40, calls_per_run=1,
                  images_per_s=100.0, images_per_s_p10=90.9, images_per_s_p90=111.1, cv=cv,
                  median_low_s=0.0099, median_high_s=0.0101, half_width=half_width, converged=converged)  # fmt: skip


def load(other: float | None, average: float = 0.5, cpus: int = 4) -> HostLoad:
    return HostLoad(cpus=cpus, wall_s=10.0, load_average_start=average, load_average_end=average,
                    own_cpu_s=9.0, other_cpu_s=None if other is None else other * 40, other_cpu_fraction=other)  # fmt: skip


def test_the_noisy_flag_names_its_reasons() -> None:
    quiet = {"latency": synthetic(), "throughput": synthetic()}
    assert noise_reasons(quiet, load(0.05)) == []
    spread_out = noise_reasons({**quiet, "latency": synthetic(cv=0.31)}, load(0.05))
    assert spread_out == ["latency: the runs vary by 31% of their mean (over 10%)"]
    wide = noise_reasons({"throughput": synthetic(half_width=0.071, converged=False)}, None)
    assert wide == ["throughput: the median's 95% interval is still +-7.1% after 40 runs"]
    busy = noise_reasons(quiet, load(0.63))
    assert busy == ["other processes used 63% of the host's 4 CPUs (over 25%)"]
    assert noise_reasons(quiet, load(0.63), max_load=0.7) == []  # the limits are the server's settings
    assert noise_reasons(quiet, load(None, average=6.5)) == ["load average 6.5 on 4 CPUs"]  # no /proc/stat
    # a result stored before spreads were measured is not called noisy for lack of them
    assert noise_reasons({"latency": synthetic(cv=None, half_width=None, converged=None)}, None) == []


def test_old_results_still_read_back() -> None:
    old = synthetic().model_dump(exclude={"cv", "median_low_s", "median_high_s", "half_width", "converged"})
    details = BenchmarkDetails.model_validate({"latency": old, "throughput": old, "train_step": old})
    assert details.latency.cv is None and details.load is None and details.noisy is False


def test_runs_grow_until_the_interval_is_narrow_or_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(timer_module.time, "perf_counter", lambda: now[0])
    steady = Timer(Plan(warmup=1, repeats=10, cap=200, precision=0.05), lambda: None, lambda: False)

    def constant() -> None:
        now[0] += 0.01  # 10 ms, a run of 1 call

    result = steady.measure(constant, batch=1)
    assert result.runs == 10 and result.converged
    assert result.half_width == pytest.approx(0, abs=1e-9) and result.cv == pytest.approx(0, abs=1e-9)

    durations = iter([0.01 * (1 + (i % 2)) for i in range(10_000)])  # 10 and 20 ms alternating

    def bimodal() -> None:
        now[0] += next(durations)

    capped = Timer(Plan(warmup=1, repeats=10, cap=37, precision=0.05), lambda: None, lambda: False)
    result = capped.measure(bimodal, batch=1)
    assert result.runs == 37 and result.converged is False and result.half_width > 0.05  # stopped by the cap
    assert result.cv == pytest.approx(coefficient_of_variation([0.01, 0.02] * 18 + [0.01]), rel=1e-6)

    drifting = iter([0.01 + 1e-5 * (i % 7) for i in range(10_000)])  # within +-0.3%: converges at once

    def slightly_noisy() -> None:
        now[0] += next(drifting)

    result = capped.measure(slightly_noisy, batch=1)
    assert result.runs == 10 and result.converged


def test_growth_stops_after_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(timer_module.time, "perf_counter", lambda: now[0])
    monkeypatch.setattr(timer_module.time, "monotonic", lambda: now[0])
    durations = iter([1.0 * (1 + (i % 2)) for i in range(10_000)])  # 1 s and 2 s calls, never converging

    def slow() -> None:
        now[0] += next(durations)

    result = Timer(Plan(1, 5, 1000, 0.05), lambda: None, lambda: False).measure(slow, batch=1)
    assert 5 < result.runs < 1000 and result.converged is False
    # calls average 1.5 s: the last round started within GROW_LIMIT_S (about 20 runs) and added
    # at most half as many again
    assert result.runs <= 1.5 * (5 + timer_module.GROW_LIMIT_S / 1.0) + 1


def test_timing_fields_follow_the_samples() -> None:
    samples = [0.010, 0.011, 0.009, 0.012, 0.010, 0.010, 0.013, 0.010]
    result = timing(samples, batch=4, calls=3, precision=0.05)
    found = spread(samples)
    assert (result.median_s, result.p10_s, result.p90_s) == (found.median, found.p10, found.p90)
    assert (result.median_low_s, result.median_high_s) == median_interval(samples)
    assert result.images_per_s == pytest.approx(4 / found.median) and result.runs == 8
    assert result.converged == (found.half_width <= 0.05)


def layer_timing(median: float, p10: float, p90: float) -> Timing:
    return Timing(batch=1, median_s=median, p10_s=p10, p90_s=p90, runs=30, calls_per_run=1,
                  images_per_s=1 / median, images_per_s_p10=1 / p90, images_per_s_p90=1 / p10)  # fmt: skip


def test_a_layer_is_flagged_only_beyond_its_measured_spread() -> None:
    analysis = analyse(presets()["A-s36"].spec)
    convs = [layer for layer in analysis.layers if layer.kind == "conv"]

    # every layer's time proportional to its share of C, except conv1 at 3x
    def times(p10_factor: float) -> dict[str, Timing]:
        out = {}
        for layer in analysis.layers:
            median = layer.share * (3.0 if layer.name == "conv1" else 1.0) if layer.kind == "conv" else 0.001
            low = median * (p10_factor if layer.name == "conv1" else 0.95)
            out[layer.name] = layer_timing(median, low, median * 1.05)
        return out

    tight = {row.name: row for row in compare_layers(analysis, times(0.95), batch=1, flag_factor=2.0)}
    ratio = tight["conv1"].share_ratio
    assert ratio is not None and ratio > 2  # beyond the factor at the median...
    assert tight["conv1"].flagged  # ...and at the fast end of a tight spread
    # the same median, but its fast runs (p10) are within the factor: not flagged
    wide = {row.name: row for row in compare_layers(analysis, times(0.5), batch=1, flag_factor=2.0)}
    assert wide["conv1"].share_ratio == ratio and wide["conv1"].p10_s * ratio / wide["conv1"].median_s < 2
    assert not wide["conv1"].flagged
    assert not any(tight[layer.name].flagged for layer in convs[1:])


def _burn(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_load_counts_other_processes_cpu_time_not_our_own() -> None:
    probe = LoadProbe().start()
    _burn(0.2)  # our own
    child = multiprocessing.get_context("spawn").Process(target=_burn, args=(0.5,))
    child.start()
    child.join()
    found = probe.stop()
    assert found.own_cpu_s >= 0.19
    if found.other_cpu_s is None:
        pytest.skip("no /proc/stat on this system")
    assert found.other_cpu_s >= 0.45  # the child's 0.5 s (the kernel counts in ticks of 10 ms)
    assert 0 < found.other_cpu_fraction <= 1 and found.cpus >= 1
    assert found.load_average_start is not None and found.load_average_end is not None


def benchmark_details(latency_s: float, noisy: bool = False, p10: float = 0.9, p90: float = 1.1) -> dict:
    t = layer_timing(latency_s, latency_s * p10, latency_s * p90)
    return BenchmarkDetails(latency=t, throughput=t, train_step=t, noisy=noisy,
                            noisy_reasons=["busy"] if noisy else []).model_dump(mode="json")  # fmt: skip


def test_the_leaderboard_takes_the_median_of_every_benchmark_per_device(
    client,
    settings,
    team,
    budget,  # noqa: F811  (the fixture of tests/test_api_leaderboard.py)
    protocol,  # noqa: F811
) -> None:
    arch = architecture(client, team, 100)
    results(settings, arch, protocol, [11.0])

    def bench(latency_ms: float, device: str, noisy: bool = False, kind: str = "benchmark") -> None:
        details = benchmark_details(latency_ms / 1e3, noisy)
        results(settings, arch, "bench b1", [None], kind=kind, dataset="synthetic", latency_ms=latency_ms,
                throughput=1e3 / latency_ms, device=device, details=details)  # fmt: skip

    # the three runs of one architecture on a busy host, and one flagged noisy
    for latency in (136.6, 21.4, 16.6):
        bench(latency, "cpu: x")
    bench(400.0, "cpu: x", noisy=True)
    bench(5.0, "gpu: y")  # another device: its own row, never mixed in
    (entry,) = mine(get_board(client, team, budget, protocol=protocol), protocol)
    first, second = entry["timings"]
    assert (first["device"], first["benchmarks"], first["noisy"], first["used"]) == ("cpu: x", 4, 1, 3)
    assert first["latency_ms"] == pytest.approx(21.4)  # the median, not the latest (16.6)
    p10, p90 = statistics.quantiles([136.6, 21.4, 16.6], n=10, method="inclusive")[::8]
    assert (first["latency_ms_p10"], first["latency_ms_p90"]) == (pytest.approx(p10), pytest.approx(p90))
    assert first["throughput"] == pytest.approx(1e3 / 21.4)
    assert (entry["latency_ms"], entry["device"]) == (first["latency_ms"], "cpu: x")
    # one benchmark: its spread is its own runs' p10 and p90
    assert (second["device"], second["benchmarks"], second["latency_ms"]) == ("gpu: y", 1, 5.0)
    assert (second["latency_ms_p10"], second["latency_ms_p90"]) == (pytest.approx(4.5), pytest.approx(5.5))
