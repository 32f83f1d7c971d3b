"""Worker benchmark on A-s36 (CPU): positive, self-consistent timings with provenance; per-layer
rows that match the analysis and flag by the factor rule. Correctness only, no speed thresholds."""

from __future__ import annotations

import json
import math

import pytest
import torch

import worker.benchmark as benchmark_module
from app.arch.analysis import analyse
from app.arch.presets import presets
from app.jobs.params import BenchmarkParams
from app.jobs.results import BenchmarkDetails, Timing
from worker.benchmark import BenchmarkOutcome, benchmark, compare_layers
from worker.build import build_model
from worker.errors import Cancelled, OutOfMemory

SPEC = presets()["A-s36"].spec
QUICK = BenchmarkParams(batch_size=4, repeats=5, max_repeats=12, warmup=1, flag_factor=2.0)


@pytest.fixture(scope="module")
def outcome() -> BenchmarkOutcome:
    return benchmark(SPEC, QUICK, should_stop=lambda: False, device="cpu")


def check_timing(timing: Timing, batch: int, runs: int, cap: int | None = None) -> None:
    # runs grow from `runs` until the median's interval is narrow enough or `cap` is reached
    assert timing.batch == batch and runs <= timing.runs <= (cap or runs) and timing.calls_per_run >= 1
    assert 0 < timing.p10_s <= timing.median_s <= timing.p90_s
    assert timing.median_low_s <= timing.median_s <= timing.median_high_s and timing.cv >= 0
    assert timing.converged == (timing.half_width <= QUICK.precision)
    assert timing.converged or timing.runs == (cap or runs)
    assert timing.images_per_s == pytest.approx(batch / timing.median_s)
    assert 0 < timing.images_per_s_p10 <= timing.images_per_s <= timing.images_per_s_p90


def test_timings_are_positive_and_consistent(outcome: BenchmarkOutcome) -> None:
    check_timing(outcome.latency, batch=1, runs=QUICK.repeats, cap=QUICK.max_repeats)
    check_timing(outcome.throughput, batch=4, runs=QUICK.repeats, cap=QUICK.max_repeats)
    check_timing(outcome.train_step, batch=4, runs=QUICK.repeats, cap=QUICK.max_repeats)
    assert outcome.batch_requested == outcome.batch_used == outcome.train_batch_used == 4
    assert outcome.layers_batch_used == 4
    assert outcome.conv_macs == analyse(SPEC).conv_macs
    assert outcome.layers_total_s == pytest.approx(sum(layer.median_s for layer in outcome.layers))
    assert 0 < outcome.conv_time_share < 1


def test_provenance(outcome: BenchmarkOutcome) -> None:
    p = outcome.provenance
    assert p["device"] == "cpu" and p["device_name"] and p["torch"] == torch.__version__
    assert p["cuda"] is None and p["cudnn"] is None and p["driver"] is None
    assert p["threads"] == torch.get_num_threads()
    assert (p["dtype"], p["channels_last"], p["batch_used"]) == ("float32", False, 4)
    assert p["protocol"] == QUICK.protocol() and p["spec"] == "A-s36"
    assert "median" in p["method"]
    # What the runner stores as Result.details: plain JSON that reads back as the schema.
    details = json.loads(json.dumps(outcome.model_dump(mode="json", exclude={"provenance"})))
    assert BenchmarkDetails.model_validate(details).model_dump() == outcome.model_dump(exclude={"provenance"})
    assert list(details) == [
        "latency", "throughput", "train_step", "layers", "conv_time_share", "layers_total_s",
        "layers_batch_used", "batch_requested", "batch_used", "train_batch_used", "conv_macs",
        "load", "noisy", "noisy_reasons",
    ]  # fmt: skip
    assert outcome.load is not None and outcome.load.wall_s > 0 and outcome.load.cpus >= 1
    assert outcome.noisy == bool(outcome.noisy_reasons)
    assert list(details["layers"][0]) == [
        "name", "kind", "median_s", "p10_s", "p90_s", "time_share", "macs", "theoretical_share",
        "conv_time_share", "share_ratio", "macs_per_s", "flagged", "cv",
    ]  # fmt: skip


def test_layer_rows_match_the_analysis(outcome: BenchmarkOutcome) -> None:
    analysis = analyse(SPEC)
    assert [row.name for row in outcome.layers] == [layer.name for layer in analysis.layers]
    assert sum(row.time_share for row in outcome.layers) == pytest.approx(1)
    conv_rows = [row for row in outcome.layers if row.kind == "conv"]
    assert sum(row.conv_time_share for row in conv_rows) == pytest.approx(1)
    assert sum(row.theoretical_share for row in conv_rows) == pytest.approx(1)
    for row, layer in zip(outcome.layers, analysis.layers, strict=True):
        assert 0 < row.p10_s <= row.median_s <= row.p90_s and row.macs == layer.macs
        if row.kind == "conv":
            assert row.theoretical_share == layer.share
            assert row.share_ratio == pytest.approx(row.conv_time_share / layer.share)
            assert row.macs_per_s == pytest.approx(layer.macs * 4 / row.median_s)
            factor, per_s = QUICK.flag_factor, row.share_ratio / row.median_s
            # beyond the factor even at the ends of the measured spread
            assert row.flagged == (row.p10_s * per_s > factor or row.p90_s * per_s < 1 / factor)
        else:  # outside Eqn. (1): a time share only
            assert row.theoretical_share is row.conv_time_share is row.share_ratio is None
            assert not row.flagged
            assert (row.macs_per_s is None) == (layer.macs == 0)


def timing(seconds: float, batch: int = 2) -> Timing:
    speed = batch / seconds
    return Timing(
        batch=batch, median_s=seconds, p10_s=seconds, p90_s=seconds, runs=3, calls_per_run=1,
        images_per_s=speed, images_per_s_p10=speed, images_per_s_p90=speed,
    )  # fmt: skip


def test_flags_follow_the_factor_rule() -> None:
    analysis = analyse(SPEC)
    conv = [layer for layer in analysis.layers if layer.kind == "conv"]
    # Times proportional to C, except conv1 (x3) and conv2 (x0.25); non-conv layers take 1 s each.
    scale = {conv[0].name: 3.0, conv[1].name: 0.25}
    times = {
        layer.name: timing(layer.share * scale.get(layer.name, 1.0) if layer.kind == "conv" else 1.0)
        for layer in analysis.layers
    }
    rows = {row.name: row for row in compare_layers(analysis, times, batch=2, flag_factor=2.0)}
    conv_total = sum(times[layer.name].median_s for layer in conv)
    for layer in conv:
        expected = scale.get(layer.name, 1.0) / conv_total
        assert rows[layer.name].share_ratio == pytest.approx(expected)
        assert rows[layer.name].flagged == (expected > 2 or expected < 0.5)
    assert rows["conv1"].flagged and rows["conv2"].flagged and not rows["conv3"].flagged
    assert not any(rows[layer.name].flagged for layer in analysis.layers if layer.kind != "conv")
    total = sum(t.median_s for t in times.values())
    assert rows["pool1"].time_share == pytest.approx(1.0 / total)
    # A larger factor tolerates the same mismatch.
    relaxed = compare_layers(analysis, times, batch=2, flag_factor=10.0)
    assert not any(row.flagged for row in relaxed)


def test_without_per_layer_and_in_bfloat16_channels_last() -> None:
    params = BenchmarkParams(
        batch_size=2,
        repeats=3,
        max_repeats=3,
        warmup=1,
        per_layer=False,
        dtype="bfloat16",
        channels_last=True,
    )
    result = benchmark(SPEC, params, should_stop=lambda: False, device="cpu")
    assert result.layers == [] and result.layers_total_s is None and result.conv_time_share is None
    check_timing(result.throughput, batch=2, runs=3)
    assert result.provenance["channels_last"] is True and "bfloat16" in result.provenance["dtype"]
    assert math.isfinite(result.train_step.median_s)


def test_cancel_stops_the_benchmark() -> None:
    polls = 0

    def should_stop() -> bool:
        nonlocal polls
        polls += 1
        return polls > 3

    with pytest.raises(Cancelled):
        benchmark(SPEC, QUICK, should_stop=should_stop, device="cpu")
    assert polls == 4


def test_out_of_memory_halves_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def small_device(spec):  # a "device" that holds at most 2 images per forward pass
        model = build_model(spec)

        def check(module, args):
            if args[0].shape[0] > limit:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 1.00 GiB")

        model.register_forward_pre_hook(check)
        return model

    monkeypatch.setattr(benchmark_module, "build_model", small_device)
    limit = 2
    params = BenchmarkParams(batch_size=8, repeats=3, max_repeats=3, warmup=1)
    result = benchmark(SPEC, params, should_stop=lambda: False, device="cpu")
    assert (result.batch_requested, result.batch_used, result.train_batch_used) == (8, 2, 2)
    assert result.layers_batch_used == 2 and result.provenance["batch_used"] == 2
    check_timing(result.throughput, batch=2, runs=3)
    limit = 0
    with pytest.raises(OutOfMemory, match="batch 1"):
        benchmark(SPEC, params, should_stop=lambda: False, device="cpu")
