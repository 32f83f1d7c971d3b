"""Core engine: analysis of a 200-layer spec, the relation finder on 1,000 specs, and isocost's
conv MACs against FlopCounterMode and fvcore for every preset."""

from __future__ import annotations

import random
import time

from app.arch.analysis import analyse
from app.arch.errors import SpecError
from app.arch.notation import format_spec, parse
from app.arch.presets import presets
from app.arch.relations import find_relations, relate
from app.arch.replace import delay_subsampling, replace_segment
from app.arch.spec import Conv, Spec, expand
from bench.timing import measure, save


def deep_spec(layers: int = 200) -> Spec:
    """A 200-layer stack: five stages of 3x3 convs with pools between, then a head."""
    per_stage = (layers - 8) // 5
    stages = " | ".join(f"(3,{64 * 2**i})x{per_stage} + pool 2" for i in range(5))
    return parse(f"{stages} + (1,512)x{layers - 8 - 5 * per_stage + 1} + gap + fc 1000")


def generated_specs(count: int, seed: int = 0) -> dict[str, Spec]:
    """Random walks of replacements from the presets: realistic families with many relations."""
    rng = random.Random(seed)
    out = {p.name: p.spec for p in presets().values()}
    pool = list(out.values())
    while len(out) < count:
        spec = rng.choice(pool)
        convs = sum(isinstance(layer, Conv) for layer in expand(spec))
        try:
            if rng.random() < 0.15:
                new = delay_subsampling(spec)
            else:
                first = rng.randint(2, convs)
                last = first
                candidates = replace_segment(
                    spec, first, last, size=rng.choice([1, 2, 3, 5]), depth=rng.randint(1, 4), multiple_of=8
                )
                new = candidates[0].spec
        except SpecError:
            continue
        key = format_spec(new) + str(new.input)
        if key not in out:
            out[key] = new
            pool.append(new)
    return dict(list(out.items())[:count])


def naive_relations(specs: dict[str, Spec], tolerance: float = 0.08) -> int:
    """Baseline: compare every pair (what the finder's hashing avoids)."""
    items = [(name, expand(spec), analyse(spec).conv_macs, spec.input) for name, spec in specs.items()]
    found = 0
    for i, (na, la, ca, ia) in enumerate(items):
        for nb, lb, cb, ib in items[i + 1 :]:
            if ia == ib and max(ca, cb) / min(ca, cb) - 1 <= tolerance and relate(na, la, nb, lb):
                found += 1
    return found


def counters_table() -> list[dict]:
    import torch
    from fvcore.nn import FlopCountAnalysis
    from torch.utils.flop_counter import FlopCounterMode

    from worker.build import build_model

    rows = []
    for name, preset in presets().items():
        spec = preset.spec
        start = time.perf_counter()
        ours = analyse(spec).conv_macs
        t_ours = time.perf_counter() - start

        start = time.perf_counter()
        with torch.device("meta"):
            model = build_model(spec)
            x = torch.empty(1, spec.input.channels, spec.input.height, spec.input.width)
        with FlopCounterMode(display=False) as counter:
            model(x)
        flop_counter = counter.get_flop_counts()["Global"][torch.ops.aten.convolution] // 2
        t_flop = time.perf_counter() - start

        start = time.perf_counter()
        model = build_model(spec).eval()
        analysis = FlopCountAnalysis(
            model, torch.zeros(1, spec.input.channels, spec.input.height, spec.input.width)
        )
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        fvcore = analysis.by_operator()["conv"]
        t_fv = time.perf_counter() - start
        rows.append(dict(name=name, isocost=ours, flop_counter=flop_counter, fvcore=fvcore,
                         t_isocost=t_ours, t_flop_counter=t_flop, t_fvcore=t_fv))  # fmt: skip
    return rows


def main() -> None:
    results: dict = {}
    spec = deep_spec()
    layers = len(expand(spec))
    text = format_spec(spec)
    payload = spec.model_dump()
    t_analyse = measure(lambda: analyse(spec), runs=30)
    t_parse = measure(lambda: parse(text), runs=30)
    t_validate = measure(lambda: Spec.model_validate(payload), runs=30)
    print(f"analyse, {layers}-layer spec:           {t_analyse}")
    print(f"parse its notation ({len(text)} chars):   {t_parse}")
    print(f"baseline, pydantic validation alone:  {t_validate}")
    print(f"ratio analyse / validation:           {t_analyse.median_s / t_validate.median_s:.1f}x")
    results["analyse_200"] = {
        "layers": layers,
        "analyse": t_analyse,
        "parse": t_parse,
        "validate": t_validate,
    }

    specs = generated_specs(1000)
    start = time.perf_counter()
    relations = find_relations(specs)
    t_find = time.perf_counter() - start
    start = time.perf_counter()
    naive = naive_relations(specs)
    t_naive = time.perf_counter() - start
    print(f"\nrelation finder, {len(specs)} specs:       {t_find:.3f} s, {len(relations)} relations")
    print(f"baseline, all pairs compared:         {t_naive:.3f} s, {naive} relations")
    print(f"speed-up over all pairs:              {t_naive / t_find:.1f}x  (target: finder well under 2 s)")
    results["relations_1000"] = {"specs": len(specs), "finder_s": t_find, "relations": len(relations),
                                 "all_pairs_s": t_naive, "all_pairs_relations": naive}  # fmt: skip

    print("\nconv MACs per image (1 MAC = 2 FLOPs; FlopCounterMode's FLOPs / 2, fvcore's 'conv' count):")
    rows = counters_table()
    print(
        f"{'preset':8} {'isocost':>14} {'FlopCounter':>14} {'fvcore':>14} agree  {'t isocost':>10} {'t FlopCtr':>10} {'t fvcore':>10}"
    )
    for r in rows:
        agree = r["isocost"] == r["flop_counter"] == r["fvcore"]
        print(f"{r['name']:8} {r['isocost']:>14,} {r['flop_counter']:>14,} {r['fvcore']:>14,} {'yes' if agree else 'NO':5}"
              f"  {r['t_isocost'] * 1e3:8.2f}ms {r['t_flop_counter'] * 1e3:8.1f}ms {r['t_fvcore'] * 1e3:8.1f}ms")  # fmt: skip
    agree = sum(r["isocost"] == r["flop_counter"] == r["fvcore"] for r in rows)
    print(f"agreement: {agree}/{len(rows)} presets; median time ratio FlopCounter/isocost "
          f"{_median([r['t_flop_counter'] / r['t_isocost'] for r in rows]):.0f}x, "
          f"fvcore/isocost {_median([r['t_fvcore'] / r['t_isocost'] for r in rows]):.0f}x")  # fmt: skip
    results["counters"] = rows
    save("arch", results)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]
