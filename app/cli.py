"""The `isocost` command line. Each command imports what it needs when it runs, so `--help`
and the engine commands start fast (no torch, no web stack)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from app.arch.errors import SpecError

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input from the command line: exit status 2 and a one-line message."""


def _spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "spec",
        metavar="SPEC",
        help="a preset name (A ... J', A-s36 ...), a notation string, or a .json/.yaml file",
    )
    parser.add_argument("--input", type=int, metavar="N", help="input side in pixels (overrides the spec's)")
    parser.add_argument("--channels", type=int, metavar="C", help="input channels (overrides the spec's)")
    parser.add_argument(
        "--json", action="store_true", help="print the documented JSON object instead of a table"
    )


def _load(args: argparse.Namespace):
    from app.arch.source import load_spec

    return load_spec(args.spec, args.input, args.channels)


def _macs(n: int) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n:,} MAC ({n / scale:.3g} {suffix})"
    return f"{n:,} MAC"


def _shape(channels: int, hw: tuple[int, int] | None) -> str:
    return f"{channels}x{hw[0]}x{hw[1]}" if hw else str(channels)


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def cmd_complexity(args: argparse.Namespace) -> int:
    from app.arch.analysis import analyse
    from app.arch.source import load_spec

    spec = _load(args)
    reference = load_spec(args.relative_to, args.input, args.channels) if args.relative_to else None
    analysis = analyse(spec, reference)
    if args.json:
        print(analysis.model_dump_json(indent=2))
        return 0
    rows = [["layer", "kind", "in -> out", "MACs", "share of C", "params"]]
    for layer in analysis.layers:
        rows.append([
            layer.name,
            layer.kind + (f" {layer.kernel}x{layer.kernel}/{layer.stride}" if layer.kernel else ""),
            f"{_shape(layer.in_channels, layer.in_hw)} -> {_shape(layer.out_channels, layer.out_hw)}",
            f"{layer.macs:,}",
            f"{layer.share:.1%}" if layer.kind == "conv" else "-",
            f"{layer.params:,}",
        ])  # fmt: skip
    title = analysis.name or args.spec
    inp = analysis.input
    print(f"{title}  (input {inp.channels}x{inp.height}x{inp.width})\n")
    print(_table(rows, right={3, 4, 5}))
    print()
    print(f"conv MACs (C, Eqn. 1)  {_macs(analysis.conv_macs)}")
    print(f"fc MACs (beside C)     {_macs(analysis.fc_macs)}")
    print(f"params                 {analysis.params:,}")
    print(f"activations            {analysis.activations:,}")
    if analysis.relative_to:
        rel = analysis.relative_to
        label = rel.name or args.relative_to
        print(f"relative to {label:<10} {rel.ratio:.4f}  (C / C_ref, the paper's 'comp.')")
    print(f"\nunit: {analysis.convention}")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from app.arch.analysis import analyse
    from app.arch.presets import presets

    chosen = [p for p in presets().values() if args.scale in (None, p.scale)]
    reference = {
        scale: analyse(presets()["A" + ("" if scale == "paper" else f"-{scale}")].spec).conv_macs
        for scale in ("paper", "s36")
    }
    if args.json:
        out = []
        for p in chosen:
            macs = analyse(p.spec).conv_macs
            out.append(
                p.model_dump(mode="json") | {"conv_macs": macs, "ratio_to_a": macs / reference[p.scale]}
            )
        print(json.dumps(out, indent=2))
        return 0
    rows = [["name", "conv MACs (C)", "C / C_A", "parent", "replacement", "paper's error"]]
    for p in chosen:
        macs = analyse(p.spec).conv_macs
        reported = f"{p.reported.top5_error}% top-5" if p.reported else "unknown"
        rows.append(
            [
                p.name,
                f"{macs:,}",
                f"{macs / reference[p.scale]:.4f}",
                p.parent or "-",
                p.replacement or "-",
                reported,
            ]
        )
    print(_table(rows, right={1, 2}))
    print("\nMACs per image, forward, conv layers only (Eqn. 1). Notation: isocost complexity NAME")
    return 0


def cmd_replace(args: argparse.Namespace) -> int:
    from app.arch.replace import replace_segment

    try:
        first, last = (int(part) for part in args.layers.split(":"))
    except ValueError:
        raise UsageError(f"--layers {args.layers!r}: expected I:J, conv numbers such as 3:5") from None
    spec = _load(args)
    candidates = replace_segment(
        spec, first, last, args.size, args.depth, args.width, args.multiple_of, args.tolerance
    )
    if args.json:
        print(json.dumps([c.model_dump(mode="json") for c in candidates], indent=2))
        return 0
    rows = [["#", "change of C", "in tolerance", "replacement", "notation"]]
    for i, c in enumerate(candidates, 1):
        rows.append(
            [
                str(i),
                f"{c.change:+.2%}",
                "yes" if c.within_tolerance else "no",
                c.description,
                c.notation,
            ]
        )
    print(_table(rows, right={1}))
    print(f"\nC is Eqn. (1) in MACs per image; tolerance {args.tolerance:.0%} of the original C.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from app.serve import serve
    from app.settings import get_settings

    updates = {key: value for key, value in (("host", args.host), ("port", args.port)) if value is not None}
    return serve(get_settings().model_copy(update=updates))


def cmd_worker(args: argparse.Namespace) -> int:
    import os
    import socket

    if args.gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(args.gpu)  # before anything imports torch
    from worker.tasks import app

    name = f"isocost-{os.getpid()}@{socket.gethostname()}"  # unique per process: see lifecycle.claim
    app.worker_main(
        [
            "worker",
            "--queues",
            args.queues,
            "--concurrency",
            "1",
            "--hostname",
            name,
            "--loglevel",
            args.loglevel,
            "--without-gossip",
            "--without-mingle",
        ]
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from app.migrate import upgrade
    from app.settings import get_settings

    upgrade(get_settings().database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_team_create(args: argparse.Namespace) -> int:
    from app.db import session_scope
    from app.errors import ApiError
    from app.settings import get_settings
    from app.teams.auth import create_team

    try:
        with session_scope(get_settings().database_url) as session:
            team, token = create_team(session, args.name)
    except ApiError as error:
        raise UsageError(error.message) from None
    print(f"team {team.name!r} (id {team.id}); its token, shown once:\n{token}")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from app.submit import submit

    return submit(args)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isocost",
        description="Design CNNs under a fixed time cost (He & Sun, CVPR 2015).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "complexity",
        help="per-layer shapes and time cost (MACs) of a spec",
        description="Per-layer shapes, MACs, params and totals; C is Eqn. (1), conv layers only.",
    )
    _spec_arguments(p)
    p.add_argument(
        "--relative-to",
        metavar="REF",
        help="a reference spec (preset, notation or file): adds C / C_ref",
    )
    p.set_defaults(handler=cmd_complexity)

    p = commands.add_parser(
        "presets",
        help="list the paper's models A-J and J' at both scales",
        description="The paper's models at paper scale (224) and s36, with their cost and lineage.",
    )
    p.add_argument("--scale", choices=["paper", "s36"], help="only this scale")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_presets)

    p = commands.add_parser(
        "replace",
        help="cost-preserving replacements of a run of conv layers",
        description="Replace conv layers I..J (1-based, inclusive) by DEPTH layers of SIZE filters; "
        "give --depth (width solved), --width (depth solved) or both.",
    )
    _spec_arguments(p)
    p.add_argument(
        "--layers",
        required=True,
        metavar="I:J",
        help="conv layers to replace, e.g. 3:5 for conv3..conv5",
    )
    p.add_argument(
        "--size", required=True, type=int, metavar="S", help="filter size of the replacement layers"
    )
    p.add_argument("--depth", type=int, metavar="K", help="number of replacement layers")
    p.add_argument(
        "--width",
        type=int,
        metavar="W",
        help="width of the layers between the kept input and output",
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

    p = commands.add_parser(
        "serve",
        help="run the dashboard, API and one local worker",
        description="Apply migrations, start one Celery worker and the API; Ctrl-C stops both. Configuration: ISOCOST_* environment variables (README).",
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1, ISOCOST_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000, ISOCOST_PORT)")
    p.set_defaults(handler=cmd_serve)

    p = commands.add_parser(
        "worker",
        help="run a Celery worker for training and benchmark jobs",
        description="One worker, one job at a time (concurrency 1), a fresh child process per job.",
    )
    p.add_argument("--queues", default="cpu,gpu", help="comma-separated queues to consume (default cpu,gpu)")
    p.add_argument("--gpu", type=int, metavar="N", help="use only GPU N (sets CUDA_VISIBLE_DEVICES)")
    p.add_argument("--loglevel", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(handler=cmd_worker)

    p = commands.add_parser("db", help="database administration", description="Database administration.")
    db = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    q = db.add_parser(
        "upgrade",
        help="apply Alembic migrations (ISOCOST_DATABASE_URL)",
        description="Apply Alembic migrations to the configured database.",
    )
    q.add_argument("revision", nargs="?", default="head", help="target revision (default head)")
    q.set_defaults(handler=cmd_db_upgrade)

    p = commands.add_parser("team", help="team administration", description="Team administration.")
    team = p.add_subparsers(dest="team_command", required=True, metavar="ACTION")
    q = team.add_parser(
        "create",
        help="create a team and print its first token",
        description="Create a team and print its first token (shown once).",
    )
    q.add_argument("name", help="team name")
    q.set_defaults(handler=cmd_team_create)

    p = commands.add_parser(
        "submit",
        help="submit a training or benchmark job over the REST API",
        description="Save SPEC as an architecture of your team and submit a job for it.",
    )
    _spec_arguments(p)
    kind = p.add_mutually_exclusive_group(required=True)
    kind.add_argument("--train", action="store_true", help="a training job (one per seed)")
    kind.add_argument("--benchmark", action="store_true", help="a benchmark job")
    p.add_argument("--name", help="architecture name (default: the preset's name or a hash of the spec)")
    p.add_argument(
        "--dataset",
        default="digits",
        help="digits, synthetic, cifar10:PATH or imagefolder:PATH (PATH relative to the data root)",
    )
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--epochs", type=int, help="train for N epochs (default 10)")
    budget.add_argument("--seconds", type=float, help="train for S wall-clock seconds instead")
    p.add_argument("--seeds", default="0", help="comma-separated seeds, one job each (default 0)")
    p.add_argument("--batch-size", type=int, help="batch size (default: 64 train, 32 benchmark)")
    p.add_argument("--lr", type=float, help="learning rate (default 0.05)")
    p.add_argument("--queue", choices=["cpu", "gpu"], help="queue (default: the server's)")
    p.add_argument(
        "--wait", action="store_true", help="follow the jobs with a progress bar until they finish"
    )
    p.add_argument("--url", help="server URL (default ISOCOST_URL or http://127.0.0.1:8000)")
    p.add_argument(
        "--token", help="team token (default ISOCOST_TOKEN, else the local team's from `isocost serve`)"
    )
    p.set_defaults(handler=cmd_submit)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (SpecError, UsageError) as error:
        print(f"isocost {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    # Run the imported module's main, so `python -m app.cli` and other modules that import
    # app.cli (app.submit raises app.cli.UsageError) share one set of classes.
    from app.cli import main as canonical_main

    sys.exit(canonical_main())
