"""The schema of a benchmark result (docs/design.md, "Benchmark results"): written by
`worker.benchmark` into `Result.details`, read back by the figures and the API with
`BenchmarkDetails.model_validate`. Pure pydantic, so the worker and the API share it.

Fields added since the first results (the spread, the host's load, `noisy`) have defaults, so
results stored before them still read back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Timing(_Frozen):
    """Seconds per call (one batch) over `runs` timed runs of `calls_per_run` calls each."""

    batch: int
    median_s: float
    p10_s: float
    p90_s: float
    runs: int
    calls_per_run: int
    images_per_s: float  # batch / median_s
    images_per_s_p10: float  # batch / p90_s: the slow end
    images_per_s_p90: float  # batch / p10_s: the fast end
    # The spread (app.jobs.spread); None in results stored before it was measured.
    cv: float | None = None  # coefficient of variation of the runs
    median_low_s: float | None = None  # the median's 95% interval (order statistics)
    median_high_s: float | None = None
    half_width: float | None = None  # the interval's larger half over the median: 0.05 = +-5%
    converged: bool | None = None  # the interval reached the job's precision before the cap


class LayerTiming(_Frozen):
    """One named layer of the built model, timed alone on its recorded input (inference, at the
    layers' batch). Shares are of medians."""

    name: str  # as in the analysis: conv1, pool1, spp, fc1 ...
    kind: str  # a layer kind of app.arch.layers
    median_s: float
    p10_s: float
    p90_s: float
    time_share: float  # of the summed time of all layers
    macs: int  # per image (conv and fc; 0 for the rest)
    theoretical_share: float | None  # conv only: share of C, Eqn. (1)
    conv_time_share: float | None  # conv only: share of the summed time of the conv layers
    share_ratio: float | None  # conv only: conv_time_share / theoretical_share
    macs_per_s: float | None  # achieved, for layers with MACs: macs * batch / median_s
    # conv only: share_ratio beyond [1 / flag_factor, flag_factor] even at the ends of the
    # measured spread (p10, p90), so a flag means more than the noise (docs/design.md)
    flagged: bool
    cv: float | None = None


class HostLoad(_Frozen):
    """How busy the host was while the benchmark ran (worker.hostload)."""

    cpus: int
    wall_s: float
    load_average_start: float | None  # 1-minute load average (None where the OS has none)
    load_average_end: float | None
    own_cpu_s: float  # CPU time of the benchmarking process
    other_cpu_s: float | None  # CPU time of every other process (None without /proc/stat)
    other_cpu_fraction: float | None  # other_cpu_s / (wall_s x cpus): 0 idle, 1 every CPU busy


class BenchmarkDetails(_Frozen):
    """Everything a benchmark measured except its provenance (stored beside it)."""

    latency: Timing  # inference, batch 1
    throughput: Timing  # inference, at batch_used
    train_step: Timing  # forward + backward + SGD step, at train_batch_used
    layers: list[LayerTiming] = []  # empty unless params.per_layer
    conv_time_share: float | None = None  # conv layers' share of the summed layer time
    layers_total_s: float | None = None  # summed layer medians; compare with throughput.median_s
    layers_batch_used: int = 0  # the batch of the per-layer timings
    batch_requested: int = 0
    batch_used: int = 0
    train_batch_used: int = 0
    conv_macs: int = 0  # C, per image
    load: HostLoad | None = None
    # the spread or the host's load was high (the reasons say which): compare with care
    noisy: bool = False
    noisy_reasons: list[str] = []
