"""Design commands, all offline and torch-free: `complexity`, `presets`, `replace`."""

from __future__ import annotations

import argparse
import json

from app.cli.common import UsageError, load, macs, shape, spec_arguments, table


def cmd_complexity(args: argparse.Namespace) -> int:
    from app.arch.analysis import analyse

    spec = load(args)
    reference = load(args, args.relative_to) if args.relative_to else None
    analysis = analyse(spec, reference)
    if args.device_profile:  # predicted time beside C (docs/design.md, "Device profiles")
        from app.cli.profiles import predicted, print_predicted

        timed = predicted(analysis, args.device_profile)
        if args.json:
            print(timed.model_dump_json(indent=2))
        else:
            print_predicted(timed, analysis.name or args.spec)
        return 0
    if args.json:
        print(analysis.model_dump_json(indent=2))
        return 0
    rows = [["layer", "kind", "in -> out", "MACs", "share of C", "params"]]
    for layer in analysis.layers:
        rows.append([
            layer.name,
            layer.kind + (f" {layer.kernel}x{layer.kernel}/{layer.stride}" if layer.kernel else ""),
            f"{shape(layer.in_channels, layer.in_hw)} -> {shape(layer.out_channels, layer.out_hw)}",
            f"{layer.macs:,}",
            f"{layer.share:.1%}" if layer.kind == "conv" else "-",
            f"{layer.params:,}",
        ])  # fmt: skip
    title = analysis.name or args.spec
    inp = analysis.input
    print(f"{title}  (input {inp.channels}x{inp.height}x{inp.width})\n")
    print(table(rows, right={3, 4, 5}))
    print()
    print(f"conv MACs (C, Eqn. 1)  {macs(analysis.conv_macs)}")
    print(f"fc MACs (beside C)     {macs(analysis.fc_macs)}")
    print(f"params                 {analysis.params:,}")
    print(f"activations            {analysis.activations:,}")
    if analysis.relative_to:
        rel = analysis.relative_to
        label = rel.name or args.relative_to
        ratio = f"{rel.ratio:.4f}" if rel.ratio is not None else "undefined: the reference has C = 0"
        print(f"relative to {label:<10} {ratio}  (C / C_ref, the paper's 'comp.')")
    print(f"\nunit: {analysis.convention}")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from app.arch.analysis import analyse
    from app.arch.presets import SCALES, of_scale, presets, reference

    chosen = of_scale(args.scale) if args.scale else list(presets().values())
    # C of each scale's reference model: the paper's "comp." column is relative to it
    reference_macs = {scale: analyse(reference(scale).spec).conv_macs for scale in SCALES}
    if args.json:
        out = []
        for p in chosen:
            conv_macs = analyse(p.spec).conv_macs
            ratio = conv_macs / reference_macs[p.scale]
            out.append(p.model_dump(mode="json") | {"conv_macs": conv_macs, "ratio_to_a": ratio})
        print(json.dumps(out, indent=2))
        return 0
    rows = [["name", "conv MACs (C)", "C / C_A", "parent", "replacement", "paper's error"]]
    for p in chosen:
        conv_macs = analyse(p.spec).conv_macs
        reported = f"{p.reported.top5_error}% top-5" if p.reported else "unknown"
        rows.append([
            p.name,
            f"{conv_macs:,}",
            f"{conv_macs / reference_macs[p.scale]:.4f}",
            p.parent or "-",
            p.replacement or "-",
            reported,
        ])  # fmt: skip
    print(table(rows, right={1, 2}))
    print("\nMACs per image, forward, conv layers only (Eqn. 1). Notation: isocost complexity NAME")
    return 0


def cmd_replace(args: argparse.Namespace) -> int:
    from app.arch.presets import preset_of
    from app.arch.replace import replace_segment

    try:
        first, last = (int(part) for part in args.layers.split(":"))
    except ValueError:
        raise UsageError(f"--layers {args.layers!r}: expected I:J, conv numbers such as 3:5") from None
    spec = load(args)
    candidates = replace_segment(
        spec, first, last, args.size, args.depth, args.width, args.multiple_of, args.tolerance
    )
    # a candidate that is one of the paper's models says so, as the dashboard does (spec identity)
    candidates = [c.model_copy(update={"preset": preset_of(c.spec)}) for c in candidates]
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in candidates], indent=2))
        return 0
    rows = [["#", "change of C", "in tolerance", "paper's model", "replacement", "notation"]]
    for i, c in enumerate(candidates, 1):
        model = f"= model {c.preset}" if c.preset else "-"
        rows.append(
            [
                str(i),
                f"{c.change:+.2%}",
                "yes" if c.within_tolerance else "no",
                model,
                c.description,
                c.notation,
            ]
        )
    print(table(rows, right={1}))
    print(f"\nC is Eqn. (1) in MACs per image; tolerance {args.tolerance:.0%} of the original C.")
    return 0


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from app.arch.presets import SCALES

    p = commands.add_parser(
        "complexity",
        help="per-layer shapes and time cost (MACs) of a spec",
        description="Per-layer shapes, MACs, params and totals; C is Eqn. (1), conv layers only.",
    )
    spec_arguments(p)
    p.add_argument(
        "--relative-to", metavar="REF", help="a reference spec (preset, notation or file): adds C / C_ref"
    )
    p.add_argument(
        "--device-profile",
        metavar="NAME",
        help="add each layer's predicted time on this device profile (a name or an id; read from "
        "ISOCOST_DATABASE_URL)",
    )
    p.set_defaults(handler=cmd_complexity)

    p = commands.add_parser(
        "presets",
        help="list the paper's models A-J and J' at both scales",
        description="The paper's models at paper scale (224) and s36, with their cost and lineage.",
    )
    p.add_argument("--scale", choices=SCALES, help="only this scale")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_presets)

    p = commands.add_parser(
        "replace",
        help="cost-preserving replacements of a run of conv layers",
        description="Replace conv layers I..J (1-based, inclusive) by DEPTH layers of SIZE filters; "
        "give --depth (width solved), --width (depth solved) or both.",
    )
    spec_arguments(p)
    p.add_argument(
        "--layers", required=True, metavar="I:J", help="conv layers to replace, e.g. 3:5 for conv3..conv5"
    )
    p.add_argument(
        "--size", required=True, type=int, metavar="S", help="filter size of the replacement layers"
    )
    p.add_argument("--depth", type=int, metavar="K", help="number of replacement layers")
    p.add_argument(
        "--width", type=int, metavar="W", help="width of the layers between the kept input and output"
    )
    p.add_argument(
        "--multiple-of",
        type=int,
        default=1,
        metavar="M",
        help="round solved widths to a multiple of M (e.g. 8)",
    )
    p.add_argument(
        "--tolerance",
        type=float,
        default=0.05,
        metavar="T",
        help="allowed relative change of C (default 0.05)",
    )
    p.set_defaults(handler=cmd_replace)
