"""A calibration times its sources in rounds (docs/design.md, "Device profiles"): every source a
few passes per round, all of them in every round, so a slow spell of a shared host is spread
over all of them and each median outvotes it. On a fake clock, with the layers replaced by stages
that take 1 ms (2 ms during the spell): no correctness depends on the real clock."""

from __future__ import annotations

from typing import Any

import pytest

import worker.calibrate as calibrate_module
import worker.timer as timer_module
from app.arch.latency import LatencyModel, MacsOnly
from app.arch.spec import Spec
from app.jobs.params import CalibrateParams
from app.profiles.data import FitQuality, ProfileData
from worker.calibrate import Built, calibrate, grid, networks, round_times
from worker.latency_fit import Timed
from worker.timer import Pass, Plan, Timer, medians

MS = 1e-3


class SlowSpell:
    """A clock and stages on it: each stage call takes 1 ms, 2 ms while fewer than `spell` calls
    have been made."""

    def __init__(self, spell: int) -> None:
        self.now, self.calls, self.spell = 0.0, 0, spell

    def stage(self, x: Any) -> Any:
        self.calls += 1
        self.now += 2 * MS if self.calls <= self.spell else MS
        return x


def test_passes_time_each_stage_inside_the_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = SlowSpell(spell=0)
    monkeypatch.setattr(timer_module.time, "perf_counter", lambda: clock.now)
    timer = Timer(Plan(warmup=2, repeats=3, cap=30, precision=0.05), lambda: None, lambda: False)
    passes = timer.passes([clock.stage, clock.stage, clock.stage], "x", count=4, warmup=2)
    assert clock.calls == 3 * (4 + 2)  # warmup passes run, untimed
    assert len(passes) == 4
    assert all(times == pytest.approx([MS] * 3) and total == pytest.approx(3 * MS) for times, total in passes)
    layer_s, pass_s = medians([([1.0, 5.0], 6.0), ([2.0, 4.0], 6.5), ([9.0, 3.0], 12.0)])
    assert layer_s == [2.0, 4.0] and pass_s == 6.5


def recorded_fit(monkeypatch: pytest.MonkeyPatch) -> list[Timed]:
    """What the calibration hands to the fit, once it has; the fit itself is left out (an empty
    model), as these tests are about the timing (tests/test_timing_profiles.py fits)."""
    seen: list[Timed] = []

    def fit(timed: list[Timed], element_bytes: int, elapsed_s: float) -> tuple[LatencyModel, FitQuality]:
        seen.extend(timed)
        model = LatencyModel(
            element_bytes=element_bytes,
            overhead_s=0.0,
            kinds={},
            baseline=MacsOnly(per_mac_s=0.0, fixed_s=0.0),
        )
        quality = FitQuality(layers=0, networks=0, cv_folds=0, layer_median_abs_error=0.0, layer_within_10=0.0,
                             layer_within_20=0.0, network_median_abs_error=None, baseline_network_median_abs_error=None,
                             calibration_s=elapsed_s)  # fmt: skip
        return model, quality

    monkeypatch.setattr(calibrate_module, "fit", fit)
    return seen


def calibrated(
    monkeypatch: pytest.MonkeyPatch, rounds: int, spell: bool
) -> tuple[ProfileData, list[Timed], list[int]]:
    """A tiny calibration whose sources are timed in `rounds` rounds, with the host slow for the
    first of five rounds' worth of stage calls (`spell`) or steady; what it measured, and the order
    it timed the sources in."""
    sources = [Spec(name="g", input=item.input, layers=[item.layer]) for item in grid("tiny")]
    sources += networks("tiny")
    params = CalibrateParams(grid="tiny")
    layers = sum(len(list(spec.unrolled())) for spec in sources)
    clock = SlowSpell(spell=layers * (params.warmup + params.max_repeats // 5) if spell else 0)
    monkeypatch.setattr(timer_module.time, "perf_counter", lambda: clock.now)
    monkeypatch.setattr(calibrate_module, "ROUNDS", rounds)
    built: dict[int, int] = {}  # id of a source's stages -> its index

    def build(_: object, spec: Spec) -> Built:
        stages = [clock.stage for _ in spec.unrolled()]
        built[id(stages)] = len(built)
        return Built(stages, "images")  # type: ignore[arg-type]  # passes need only list(model)

    order: list[int] = []
    real_passes = calibrate_module.DeviceTimer.passes

    def passes(self: calibrate_module.DeviceTimer, source: Built, count: int, warmup: int) -> list:
        order.append(built[id(source.model)])
        return real_passes(self, source, count, warmup)

    monkeypatch.setattr(calibrate_module.DeviceTimer, "build", build)
    monkeypatch.setattr(calibrate_module.DeviceTimer, "passes", passes)
    seen = recorded_fit(monkeypatch)
    profile = calibrate(params, lambda: False)
    assert len(seen) == len(sources)
    return profile, seen, order


def test_every_source_is_timed_in_every_round(monkeypatch: pytest.MonkeyPatch) -> None:
    profile, timed, order = calibrated(monkeypatch, rounds=5, spell=True)
    sources = len(timed)
    assert order == list(range(sources)) * 5
    # the slow spell covered one round in five: every median is the host's usual 1 ms
    assert all(layer == pytest.approx(MS) for t in timed for layer in t.layer_s)
    assert all(t.pass_s == pytest.approx(MS * len(t.layer_s)) for t in timed)
    # and the profile says the host was twice as slow in the first round
    assert profile.fit.round_times == pytest.approx([2.0, 1.0, 1.0, 1.0, 1.0])
    assert profile.fit.noisy


def test_a_steady_host_is_not_noisy(monkeypatch: pytest.MonkeyPatch) -> None:
    profile, _, _ = calibrated(monkeypatch, rounds=5, spell=False)
    assert profile.fit.round_times == pytest.approx([1.0] * 5) and not profile.fit.noisy


def test_round_times_are_each_rounds_median_over_the_sources() -> None:
    def source(*rounds: float) -> list[list[Pass]]:
        return [[([total], total)] for total in rounds]

    # three sources over three rounds; their medians 2, 4 and 1; the third round slow for two
    passes = [source(2.0, 2.0, 3.0), source(4.0, 4.0, 6.0), source(1.0, 0.9, 1.0)]
    assert round_times(passes, [2.0, 4.0, 1.0]) == pytest.approx([1.0, 1.0, 1.5])


def test_in_one_round_a_slow_spell_would_skew_the_first_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the rounds: timed one after another, the sources timed during the spell come out at
    twice their time, the rest at their own."""
    _, timed, order = calibrated(monkeypatch, rounds=1, spell=True)
    assert order == list(range(len(timed)))
    slow = [t for t in timed if t.layer_s[0] == pytest.approx(2 * MS)]
    assert 0 < len(slow) < len(timed)


def test_the_passes_of_a_source_add_up_to_max_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    counts: list[int] = []

    def passes(self: object, source: Built, count: int, warmup: int) -> list:
        counts.append(count)
        return [([MS] * len(source.model), MS * len(source.model))] * count

    monkeypatch.setattr(calibrate_module.DeviceTimer, "passes", passes)
    timed = recorded_fit(monkeypatch)
    calibrate(CalibrateParams(grid="tiny", max_repeats=32), lambda: False)
    sources = len(timed)
    assert counts == [7] * sources * 2 + [6] * sources * 3  # 32 passes in 5 rounds
