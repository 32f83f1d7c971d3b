"""The paper-scale presets A-J and J' through the benchmark job's own code (worker.benchmark):
theoretical C against measured time on this machine's device, written to docs/ as a table named
after the device. Run it on each card you use: `python -m bench presets`.

Each model's times are also given relative to model A measured in the same run, beside C / C_A,
so the table says directly how well Eqn. (1) predicts real time on that device.
"""

from __future__ import annotations

import re
from pathlib import Path

from app.arch.analysis import analyse
from app.arch.presets import presets
from app.jobs.params import BenchmarkParams
from bench.timing import save

MODELS = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "J'"]
DOCS = Path(__file__).resolve().parent.parent / "docs"


def main() -> None:
    import torch

    from worker.benchmark import benchmark

    cuda = torch.cuda.is_available()
    # Enough repeats for a stable median; on a CPU the 224 px models are slow, so fewer and smaller.
    params = BenchmarkParams(
        batch_size=64 if cuda else 8, repeats=30 if cuda else 5, warmup=5 if cuda else 1, per_layer=False
    )
    rows, provenance = [], {}
    for name in MODELS:
        spec = presets()[name].spec
        outcome = benchmark(spec, params, should_stop=lambda: False)
        provenance = outcome.provenance
        rows.append({
            "model": name,
            "conv_macs": analyse(spec).conv_macs,
            "latency_ms": outcome.latency.median_s * 1e3,
            "latency_spread_ms": (outcome.latency.p10_s * 1e3, outcome.latency.p90_s * 1e3),
            "throughput": outcome.throughput.images_per_s,
            "batch": outcome.batch_used,
            "train_step_ms": outcome.train_step.median_s * 1e3,
            "train_batch": outcome.train_batch_used,
        })  # fmt: skip
        print(
            f"{name:3} {rows[-1]['latency_ms']:9.2f} ms  {rows[-1]['throughput']:9.1f} images/s", flush=True
        )
    a = rows[0]
    lines = [
        f"# Paper-scale presets on {provenance.get('device_name')}",
        "",
        f"Measured by `python -m bench presets` (the benchmark job's code, `worker/benchmark.py`): device "
        f"`{provenance.get('device_name')}` ({provenance.get('device')}), torch {provenance.get('torch')}, "
        f"CUDA {provenance.get('cuda')}, cuDNN {provenance.get('cudnn')}, driver {provenance.get('driver')}, "
        f"{provenance.get('threads')} threads, {params.dtype}, input 3x224x224, random weights. Each time is the "
        f"median of {params.repeats} timed runs after {params.warmup} warm-up runs; latency at batch 1 with its "
        "10th-90th percentile, throughput and the training step (forward, backward, SGD) at the batch shown.",
        "",
        "C is Eqn. (1): conv MACs per image, forward. The two ratio columns compare the prediction (C / C_A) "
        "with what was measured (latency / latency of A): where they part, Eqn. (1) mispredicts real time on "
        "this device.",
        "",
        "| model | C (MACs) | C / C_A | latency, batch 1 (ms) | latency / A's | throughput (images/s) | train step (ms) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        low, high = r["latency_spread_ms"]
        lines.append(
            f"| {r['model']} | {r['conv_macs']:,} | {r['conv_macs'] / a['conv_macs']:.3f} | "
            f"{r['latency_ms']:.2f} ({low:.2f}-{high:.2f}) | {r['latency_ms'] / a['latency_ms']:.3f} | "
            f"{r['throughput']:.1f} (batch {r['batch']}) | {r['train_step_ms']:.1f} (batch {r['train_batch']}) |"
        )
    slug = re.sub(r"[^a-z0-9]+", "-", str(provenance.get("device_name", "device")).lower()).strip("-")
    path = DOCS / f"timings-{slug}.md"
    path.write_text("\n".join(lines) + "\n")
    print(f"\nwrote {path}")
    save("presets", {"device": provenance, "rows": rows})
