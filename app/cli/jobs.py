"""Job commands: `submit`, a client of the REST API (the work is in app.cli.submit, imported
only when the command runs, so httpx stays out of every other command)."""

from __future__ import annotations

import argparse

from app.cli.common import spec_arguments


def cmd_submit(args: argparse.Namespace) -> int:
    from app.cli.submit import submit

    return submit(args)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "submit",
        help="submit a training or benchmark job over the REST API",
        description="Save SPEC as an architecture of your team and submit a job for it.",
    )
    spec_arguments(p)
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
    budget.add_argument("--epochs", type=int, help="train for N epochs (default: the default protocol's, 30)")
    budget.add_argument("--seconds", type=float, help="train for S wall-clock seconds instead")
    p.add_argument("--seeds", default="0", help="comma-separated seeds, one job each (default 0)")
    p.add_argument("--batch-size", type=int, help="batch size (default: 64 train, 32 benchmark)")
    p.add_argument("--lr", type=float, help="learning rate (default: the default protocol's)")
    p.add_argument("--queue", choices=["cpu", "gpu"], help="queue (default: the server's)")
    p.add_argument(
        "--wait", action="store_true", help="follow the jobs with a progress bar until they finish"
    )
    p.add_argument("--url", help="server URL (default ISOCOST_URL or http://127.0.0.1:8000)")
    p.add_argument(
        "--token", help="team token (default ISOCOST_TOKEN, else the local team's from `isocost serve`)"
    )
    p.set_defaults(handler=cmd_submit)
