"""How the default training protocol was chosen (docs/design.md, "Training protocol"), and a check
that it trains every preset: `python -m bench protocol`.

1. **Sweep.** Each candidate learning rate (with the default warm-up and clipping) trains all 14
   s36 presets on digits for the default epochs, with a sweep seed that the check does not use.
   The baseline is the protocol before warm-up and clipping (10 epochs, SGD lr 0.05, neither), in
   the same run. The chosen rate is the one whose *worst* preset has the lowest top-1 error (a
   protocol is for every preset, so it is judged by the one it serves worst), ties broken by the
   mean. The candidates are raced: one stops once a preset does worse than the worst preset of a
   candidate already complete, since it can no longer be chosen (its table cells stay empty).
2. **Check** (with ISOCOST_BENCH_PROTOCOL_CHECK=1; bench/study.py measures the same through a real
   worker). The default protocol trains every preset with seeds 0, 1, 2; the target is a mean
   top-1 error of at most 10% for each.

Runs are trained in-process by `worker.train.train` on the CPU, one thread each, in parallel
processes, and kept in var/bench/protocol-runs.jsonl so a second run reuses them.
ISOCOST_BENCH_PROTOCOL_LRS (comma-separated) overrides the candidates.
"""

from __future__ import annotations

import json
import math
import os
import statistics
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from app.arch.presets import of_scale
from app.jobs.params import DEFAULT_EPOCHS, DEFAULT_MAX_GRAD_NORM, DEFAULT_WARMUP_FRACTION, TrainParams
from bench.timing import save
from tests.train_support import train_on_cpu

CANDIDATES = (0.01, 0.02, 0.05)
BASELINE = {"epochs": 10, "lr": 0.05, "warmup_fraction": 0.0, "max_grad_norm": None}  # the protocol before
SWEEP_SEED = 10  # not one of the check's seeds: the rate is not chosen on the splits it is checked on
CHECK_SEEDS = (0, 1, 2)
TARGET = 10.0  # percent, mean top-1 error of every preset
RUNS = Path("var/bench/protocol-runs.jsonl")


def _key(preset: str, params: TrainParams) -> str:
    return json.dumps([preset, params.model_dump(mode="json")], sort_keys=True)


def _train(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    import torch

    from app.arch.presets import preset

    torch.set_num_threads(1)  # one run per core
    name, fields = job
    params = TrainParams.model_validate(fields)
    outcome = train_on_cpu(preset(name).spec, params, Path("var/data"))
    return {
        "preset": name,
        "params": fields,
        "top1_error": outcome.top1_error,
        "train_s": outcome.train_s,
        "did_not_learn": outcome.did_not_learn,
    }


def run_all(jobs: list[tuple[str, TrainParams]]) -> dict[str, dict[str, Any]]:
    """Every (preset, params) trained once: from the cache, or now, in parallel processes."""
    done: dict[str, dict[str, Any]] = {}
    if RUNS.exists():
        for line in RUNS.read_text().splitlines():
            row = json.loads(line)
            done[_key(row["preset"], TrainParams.model_validate(row["params"]))] = row
    todo = [(name, params.model_dump(mode="json")) for name, params in jobs if _key(name, params) not in done]
    RUNS.parent.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool, RUNS.open("a") as cache:
        for row in pool.map(_train, todo):
            done[_key(row["preset"], TrainParams.model_validate(row["params"]))] = row
            cache.write(json.dumps(row) + "\n")
            cache.flush()
            print(f"  {row['preset']:7} lr {row['params']['lr']:<5g} seed {row['params']['seed']:<3}"
                  f" {row['top1_error']:5.1f}%{'  (did not learn)' if row['did_not_learn'] else ''}",
                  flush=True)  # fmt: skip
    return done


def candidates() -> list[TrainParams]:
    lrs = os.environ.get("ISOCOST_BENCH_PROTOCOL_LRS")
    rates = [float(x) for x in lrs.split(",")] if lrs else list(CANDIDATES)
    return [TrainParams(epochs=DEFAULT_EPOCHS, lr=lr, seed=SWEEP_SEED) for lr in rates]


def choose(table: dict[float, list[float]]) -> float:
    """The rate whose worst preset does best; ties by the mean (over complete candidates)."""
    return min(table, key=lambda lr: (max(table[lr]), statistics.fmean(table[lr])))


def sweep(names: list[str]) -> tuple[dict[float, list[float | None]], dict[str, dict[str, Any]]]:
    """Each candidate on every preset, raced: a candidate stops as soon as one of its presets is
    worse than the worst preset of a candidate already complete (it can no longer be chosen), and
    the next candidate starts with the presets the last one found hardest."""
    workers = os.cpu_count() or 1
    table: dict[float, list[float | None]] = {}
    done: dict[str, dict[str, Any]] = {}
    best_worst = math.inf
    order = list(names)
    for params in candidates():
        errors: dict[str, float] = {}
        for start in range(0, len(order), workers):
            chunk = order[start : start + workers]
            done.update(run_all([(name, params) for name in chunk]))
            errors.update({name: done[_key(name, params)]["top1_error"] for name in chunk})
            if max(errors.values()) > best_worst:
                print(f"  lr {params.lr:g} is out: {max(errors.values()):.1f}% on "
                      f"{max(errors, key=errors.__getitem__)}, worse than {best_worst:.1f}%", flush=True)  # fmt: skip
                break
        else:
            best_worst = min(best_worst, max(errors.values()))
        table[params.lr] = [errors.get(name) for name in names]
        order = sorted(names, key=lambda name: -errors.get(name, 0.0))
    return table, done


def _cell(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.1f}"


def main() -> None:
    names = [p.name for p in of_scale("s36")]
    baseline = TrainParams(seed=SWEEP_SEED, **BASELINE)  # type: ignore[arg-type]
    print(f"sweep: {len(names)} presets, rates {[p.lr for p in candidates()]}, seed {SWEEP_SEED}, "
          f"{DEFAULT_EPOCHS} epochs, warm-up {DEFAULT_WARMUP_FRACTION:g}, clip {DEFAULT_MAX_GRAD_NORM:g}; "
          f"baseline {baseline.protocol()}", flush=True)  # fmt: skip
    table, _ = sweep(names)
    done = run_all([(name, baseline) for name in names])
    base = [done[_key(name, baseline)]["top1_error"] for name in names]
    complete = {
        lr: [v for v in values if v is not None] for lr, values in table.items() if None not in values
    }
    chosen = choose(complete)
    print(f"\n{'preset':8}" + "".join(f"{'lr ' + format(lr, 'g'):>9}" for lr in table) + f"{'baseline':>10}")
    for i, name in enumerate(names):
        print(f"{name:8}" + "".join(_cell(table[lr][i], 9) for lr in table) + f"{base[i]:10.1f}")
    for label, agg in (("worst", max), ("mean", statistics.fmean)):
        print(f"{label:8}" + "".join(_cell(agg(complete[lr]) if lr in complete else None, 9) for lr in table)
              + f"{agg(base):10.1f}")  # fmt: skip
    print(f"chosen lr {chosen:g}: worst {max(complete[chosen]):.1f}% against the baseline's {max(base):.1f}% "
          f"(ratio {max(complete[chosen]) / max(base):.2f})", flush=True)  # fmt: skip

    default = TrainParams(epochs=DEFAULT_EPOCHS)
    result: dict[str, Any] = {"sweep": {str(k): v for k, v in table.items()}, "baseline": base, "names": names,
                              "chosen_lr": chosen, "default_lr": default.lr}  # fmt: skip
    if not os.environ.get("ISOCOST_BENCH_PROTOCOL_CHECK"):
        # bench/study.py measures the target through a real worker; this in-process check repeats it
        save("protocol", result)
        return
    if default.lr != chosen:
        print(f"the default lr is {default.lr:g}, not the chosen {chosen:g}: set DEFAULT_LR in "
              "app/jobs/params.py and run again (the sweep's runs are kept)")  # fmt: skip
        return
    print(f"\ncheck: the default protocol ({default.protocol()}), seeds {list(CHECK_SEEDS)}", flush=True)
    check = run_all([(n, default.model_copy(update={"seed": s})) for n in names for s in CHECK_SEEDS])
    rows = []
    for name in names:
        runs = [check[_key(name, default.model_copy(update={"seed": s}))] for s in CHECK_SEEDS]
        values = [r["top1_error"] for r in runs]
        mean, std = statistics.fmean(values), statistics.stdev(values)
        stalled = sum(1 for r in runs if r["did_not_learn"])
        rows.append({"preset": name, "errors": values, "mean": mean, "std": std, "did_not_learn": stalled,
                     "train_s": statistics.fmean(r["train_s"] for r in runs)})  # fmt: skip
        verdict = "ok" if mean <= TARGET else "OVER TARGET"
        print(f"{name:8} {' '.join(f'{v:5.1f}' for v in values)}  mean {mean:5.1f} +- {std:4.1f}  "
              f"{rows[-1]['train_s']:5.1f} s  {verdict}", flush=True)  # fmt: skip
    worst = max(r["mean"] for r in rows)
    print(f"worst mean {worst:.1f}% (target {TARGET:g}%): {'met' if worst <= TARGET else 'NOT met'}")
    save("protocol", {**result, "check": rows})
