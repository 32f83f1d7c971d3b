"""Every GPU check of "Time you can trust" in one run, under ten minutes (docs/design.md, "Device
profiles"): on CUDA, calibrate in bfloat16 + channels_last (the training precision and layout) and
in float32, compare both per-layer models and the MACs-only baseline with measured batch-1
latency on random specs, and benchmark two presets to see their spread and noisy flags there.

    .venv/bin/python -m bench.gpu_checks [OUT_DIR]

Writes OUT_DIR/gpu_latency.md (the table for docs/, the card named) and gpu_latency.json. Each
step is skipped once the run nears its deadline, and says so. Not part of `python -m bench`: it
needs a CUDA device and exits without one.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

from app.arch.presets import presets
from app.jobs.params import BenchmarkParams, CalibrateParams
from bench.latency_model import evaluate, summary
from worker.benchmark import benchmark

DEADLINE_S = 9 * 60  # the whole run, with a minute to spare under ten
STEP_BUDGET_S = 150  # what one step may need; a step is skipped when less than this is left


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check (run this on a GPU worker)")
        return 1
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "var/bench")
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    card = torch.cuda.get_device_name(0)
    print(
        f"{card}, torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}"
    )
    report: dict = {
        "card": card,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "runs": [],
        "benchmarks": [],
    }

    def time_left() -> float:
        return DEADLINE_S - (time.monotonic() - started)

    for params, specs in [
        (CalibrateParams(grid="standard", dtype="bfloat16", channels_last=True), 60),
        (CalibrateParams(grid="standard", dtype="float32"), 50),
    ]:
        if time_left() < STEP_BUDGET_S:
            print(f"skipped {params.protocol()}: {time_left():.0f} s left")
            continue
        results = evaluate(params, specs=specs, quiet=True)
        print(summary(results), flush=True)
        report["runs"].append(results)

    for name in ("A-s36", "A"):
        if time_left() < 60:
            print(f"skipped the benchmark of {name}: {time_left():.0f} s left")
            continue
        params = BenchmarkParams(batch_size=64, dtype="bfloat16", channels_last=True)
        outcome = benchmark(presets()[name].spec, params, should_stop=lambda: False, device="cuda")
        entry = {
            "spec": name,
            "latency_ms": outcome.latency.median_s * 1e3,
            "latency_cv": outcome.latency.cv,
            "latency_half_width": outcome.latency.half_width,
            "latency_runs": outcome.latency.runs,
            "throughput": outcome.throughput.images_per_s,
            "train_step_ms": outcome.train_step.median_s * 1e3,
            "noisy": outcome.noisy,
            "noisy_reasons": outcome.noisy_reasons,
            "flagged": [layer.name for layer in outcome.layers if layer.flagged],
        }
        print(json.dumps(entry), flush=True)
        report["benchmarks"].append(entry)

    (out / "gpu_latency.json").write_text(json.dumps(report, indent=2))
    (out / "gpu_latency.md").write_text(_markdown(report))
    print(f"done in {time.monotonic() - started:.0f} s; wrote {out / 'gpu_latency.md'}")
    return 0


def _markdown(report: dict) -> str:
    lines = [
        f"# Predicted against measured latency on {report['card']}",
        "",
        f"torch {report['torch']}, CUDA {report['cuda']}; `python -m bench.gpu_checks` (batch 1, random specs"
        " not in the calibration).",
        "",
        "| precision, layout | specs | per-layer within +-10% / +-20% | MACs-only within +-10% / +-20% "
        "| median abs. error: baseline / per-layer | calibration |",
        "|---|---|---|---|---|---|",
    ]
    for r in report["runs"]:
        layout = ", channels_last" if r["channels_last"] else ""
        lines.append(
            f"| {r['dtype']}{layout} | {r['specs']} | {r['per_layer_within_10']:.0%} / {r['per_layer_within_20']:.0%} "
            f"| {r['baseline_within_10']:.0%} / {r['baseline_within_20']:.0%} "
            f"| {r['ratio_baseline_over_model_median_abs_error']:.2f}x | {r['calibration_s']:.0f} s |"
        )
    lines += [
        "",
        "| benchmark (bf16, channels_last) | latency | CV | +- (95%) | runs | noisy | flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in report["benchmarks"]:
        lines.append(
            f"| {b['spec']} | {b['latency_ms']:.3f} ms | {b['latency_cv']:.1%} | {b['latency_half_width']:.1%} "
            f"| {b['latency_runs']} | {'yes: ' + '; '.join(b['noisy_reasons']) if b['noisy'] else 'no'} "
            f"| {', '.join(b['flagged']) or '-'} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
