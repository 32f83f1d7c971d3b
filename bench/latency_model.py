"""Predicted against measured batch-1 latency on this CPU (docs/design.md, "Device profiles").

Calibrates this machine with the standard grid (in process, as a worker would), then times
random specs that are not in the calibration (s36 and 64-128 px inputs, 3-20 convs of sizes 1-7,
pools, SPP or global pooling, fc) and compares each median batch-1 latency with the per-layer
model's prediction and with the MACs-only baseline's (a x C + b, fitted on the same calibration
data). Reports the share of specs within +-10% and +-20% for both, the ratio of their median
absolute errors (baseline / model: above 1, the per-layer model is better), the calibration's
duration, the median predicted / measured in each quarter of the specs by measured time (a bias
by network size), and the host's load while it all ran (a shared host's load makes every figure
noisy).
Every spec is measured in ROUNDS rounds through all of them, and its measured time is the median
of its rounds (a slow spell of a shared host then skews one round of each spec, not every round
of a few), as a calibration times its sources. The whole measurement is repeated in a fresh
process after all of them (`retime`), as a profile is used: calibrated in one job, compared with
benchmarks timed in others. How often the fresh process agrees with the first within +-10% is the
most any predictor can reach on this host at this load; how often a single round agrees with its
spec's median says how steady the clock is over a minute.
BENCH_SPECS sets the number of specs (60), BENCH_THREADS torch's thread count (default: torch's);
the profile records the threads it was calibrated with, and predicts only for those.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from app.arch.analysis import analyse
from app.arch.identity import spec_hash
from app.arch.latency import predict
from app.arch.spec import Spec
from app.jobs.params import CalibrateParams
from bench.timing import save
from worker.calibrate import DeviceTimer, calibrate, networks, random_network
from worker.hostload import LoadProbe

SPECS = int(os.environ.get("BENCH_LATENCY_SPECS", "60"))  # at least 50 (the benchmark)
ROUNDS = 3
TARGET_WITHIN_10 = 0.9


def _within(errors: list[float], bound: float) -> float:
    return sum(e <= bound for e in errors) / len(errors)


def _bias_by_size(rows: list[dict], groups: int = 4) -> list[dict]:
    """The median of predicted / measured in each quarter of the specs, shortest first: a model
    that is right on average can still be wrong by network size (docs/design.md, "Device
    profiles")."""
    ordered = sorted(rows, key=lambda row: row["measured_ms"])
    n = len(ordered)
    parts = [ordered[i * n // groups : (i + 1) * n // groups] for i in range(groups)]
    return [
        {
            "from_ms": part[0]["measured_ms"],
            "to_ms": part[-1]["measured_ms"],
            "median_ratio": statistics.median(row["predicted_ms"] / row["measured_ms"] for row in part),
        }
        for part in parts
        if part
    ]


def _specs(count: int) -> list[Spec]:
    """The random specs of the benchmark, the same in every process (seeded)."""
    rng = random.Random(2026)
    return [random_network(rng, f"random{i}") for i in range(count)]


def _timer(params: CalibrateParams) -> DeviceTimer:
    return DeviceTimer(params.model_copy(update={"repeats": 15, "max_repeats": 60}), lambda: False)


def _in_rounds(device: DeviceTimer, specs: list[Spec], on_round: Callable[[int], None]) -> list[list[float]]:
    """Each spec's median batch-1 seconds in every round, one round through all of them at a time."""
    times: list[list[float]] = [[] for _ in specs]
    for round_ in range(ROUNDS):
        for spec, mine in zip(specs, times, strict=True):
            mine.append(device.seconds(spec))
        on_round(round_ + 1)
    return times


def retime(params_json: str, count: int, threads: int) -> None:
    """Print the median over the rounds of the first `count` specs, in seconds, as JSON (a fresh
    process)."""
    import torch

    torch.set_num_threads(threads)
    device = _timer(CalibrateParams.model_validate_json(params_json))
    print(
        json.dumps([statistics.median(times) for times in _in_rounds(device, _specs(count), lambda _: None)])
    )


def _fresh_process_times(params: CalibrateParams, count: int, threads: int) -> list[float]:
    code = f"from bench.latency_model import retime; retime({params.model_dump_json()!r}, {count}, {threads})"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [float(value) for value in json.loads(done.stdout.splitlines()[-1])]


def evaluate(params: CalibrateParams, specs: int = SPECS, quiet: bool = False) -> dict:
    """Calibrate with `params` on this worker's device, then time `specs` random specs there and
    compare them with both predictions. The figures, with the host's load while they were taken."""
    probe = LoadProbe().start()
    load_start = os.getloadavg()
    started = time.monotonic()
    profile = calibrate(params, lambda: False)
    calibration_s = time.monotonic() - started
    print(
        f"calibration: {calibration_s:.1f} s, {profile.fit.layers} layers + {profile.fit.networks} networks"
    )
    print(
        f"  layers within +-10% (5-fold CV): {profile.fit.layer_within_10:.0%}, +-20%: {profile.fit.layer_within_20:.0%}"
    )
    calibrated = {spec_hash(spec) for spec in networks(params.grid)}
    chosen = _specs(specs)
    assert not calibrated & {spec_hash(spec) for spec in chosen}  # never a calibration network
    rounds = _in_rounds(
        _timer(params), chosen, lambda done: print(f"  round {done}/{ROUNDS} timed", flush=True)
    )
    rows = []
    for i, (spec, times) in enumerate(zip(chosen, rounds, strict=True)):
        analysis = analyse(spec)
        measured = statistics.median(times)
        prediction = predict(analysis, profile.model)
        rows.append(
            {
                "notation": analysis.notation,
                "input": spec.input.height,
                "convs": sum(layer.kind == "conv" for layer in analysis.layers),
                "conv_macs": analysis.conv_macs,
                "measured_ms": measured * 1e3,
                "rounds_ms": [seconds * 1e3 for seconds in times],
                "predicted_ms": prediction.total_s * 1e3,
                "baseline_ms": prediction.baseline_s * 1e3,
            }
        )
        if not quiet:
            print(f"  {i + 1:3d}/{specs} {spec.input.height:3d}px {rows[-1]['convs']:2d} convs: measured "
                  f"{measured * 1e3:8.3f} ms, per-layer {prediction.total_s * 1e3:8.3f}, baseline "
                  f"{prediction.baseline_s * 1e3:8.3f}", flush=True)  # fmt: skip
    load = probe.stop()  # before the fresh process, which would count as another's CPU time
    load_end = os.getloadavg()
    print("  timing them again in a fresh process ...", flush=True)
    for row, seconds in zip(rows, _fresh_process_times(params, specs, profile.threads or 1), strict=True):
        row["fresh_process_ms"] = seconds * 1e3
    model_errors = [abs(r["predicted_ms"] / r["measured_ms"] - 1) for r in rows]
    baseline_errors = [abs(r["baseline_ms"] / r["measured_ms"] - 1) for r in rows]
    round_errors = [abs(ms / r["measured_ms"] - 1) for r in rows for ms in r["rounds_ms"]]
    fresh_errors = [abs(r["fresh_process_ms"] / r["measured_ms"] - 1) for r in rows]
    return {
        "specs": len(rows),
        "device": profile.device,
        "dtype": params.dtype,
        "channels_last": params.channels_last,
        "threads": profile.threads,
        "calibration_s": calibration_s,
        "fit": profile.fit.model_dump(),
        "per_layer_within_10": _within(model_errors, 0.10),
        "per_layer_within_20": _within(model_errors, 0.20),
        "per_layer_median_abs_error": statistics.median(model_errors),
        "baseline_within_10": _within(baseline_errors, 0.10),
        "baseline_within_20": _within(baseline_errors, 0.20),
        "baseline_median_abs_error": statistics.median(baseline_errors),
        "ratio_baseline_over_model_median_abs_error": statistics.median(baseline_errors)
        / max(statistics.median(model_errors), 1e-12),
        "rounds": ROUNDS,
        "round_within_10": _within(round_errors, 0.10),
        "round_within_20": _within(round_errors, 0.20),
        "round_median_abs_error": statistics.median(round_errors),
        "fresh_process_within_10": _within(fresh_errors, 0.10),
        "fresh_process_within_20": _within(fresh_errors, 0.20),
        "fresh_process_median_abs_error": statistics.median(fresh_errors),
        "bias_by_size": _bias_by_size(rows),
        "load": {
            "load_average_start": load_start,
            "load_average_end": load_end,
            "other_cpu_fraction": load.other_cpu_fraction,
            "cpus": load.cpus,
            "wall_s": load.wall_s,
        },
        "rows": rows,
    }


def _steadiness(fit: dict) -> str:
    times = fit["round_times"]
    state = "noisy: the host's speed moved" if fit["noisy"] else "steady"
    return f"its {len(times)} rounds at {min(times):.2f}-{max(times):.2f}x their median time ({state})"


def summary(results: dict) -> str:
    load = results["load"]
    layout = ", channels_last" if results["channels_last"] else ""
    return (
        f"{results['specs']} random specs on {results['device']} ({results['dtype']}{layout}, "
        f"{results['threads']} threads):\n"
        f"  per-layer model: {results['per_layer_within_10']:.0%} within +-10% (target {TARGET_WITHIN_10:.0%}), "
        f"{results['per_layer_within_20']:.0%} within +-20%, median |error| {results['per_layer_median_abs_error']:.1%}\n"
        f"  MACs-only a*C+b: {results['baseline_within_10']:.0%} within +-10%, "
        f"{results['baseline_within_20']:.0%} within +-20%, median |error| {results['baseline_median_abs_error']:.1%}\n"
        f"  median |error| ratio, baseline / per-layer: {results['ratio_baseline_over_model_median_abs_error']:.2f}x\n"
        f"  each spec measured in {results['rounds']} rounds; a round against the spec's median: "
        f"{results['round_within_10']:.0%} within +-10%, {results['round_within_20']:.0%} within +-20%, "
        f"median |difference| {results['round_median_abs_error']:.1%}\n"
        f"  and in a fresh process (the ceiling of any predictor here): {results['fresh_process_within_10']:.0%} "
        f"within +-10%, {results['fresh_process_within_20']:.0%} within +-20%, median |difference| "
        f"{results['fresh_process_median_abs_error']:.1%}\n"
        f"  predicted / measured by size (median per quarter, shortest first): "
        + ", ".join(
            f"{g['from_ms']:.1f}-{g['to_ms']:.1f} ms {g['median_ratio']:.2f}" for g in results["bias_by_size"]
        )
        + "\n"
        f"  calibration: {results['calibration_s']:.0f} s, {_steadiness(results['fit'])}\n"
        f"  host load: load average {load['load_average_start'][0]:.1f} -> {load['load_average_end'][0]:.1f} on "
        f"{load['cpus']} CPUs; other processes used {(load['other_cpu_fraction'] or 0):.0%} of the CPU time "
        f"over {load['wall_s']:.0f} s"
    )


def main() -> None:
    threads = os.environ.get("BENCH_THREADS")
    if threads:  # on a shared, loaded host one thread is stalled far less than two waiting for each other
        import torch

        torch.set_num_threads(int(threads))
    results = evaluate(CalibrateParams(grid="standard"))
    print("\n" + summary(results))
    save("latency_model", results)


if __name__ == "__main__":
    sys.exit(main())
