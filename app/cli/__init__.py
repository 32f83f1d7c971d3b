"""The `isocost` command line: one module per command group (design, service, jobs, interchange,
profiles, studies), assembled here. Each command imports what it needs when it runs, so `--help` and the engine
commands start fast (no torch, no web stack)."""

from __future__ import annotations

import argparse
import sys

from app.arch.errors import SpecError
from app.cli import design, interchange, jobs, profiles, service, studies
from app.cli.common import UsageError
from app.exceptions import DomainError

__all__ = ["UsageError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isocost",
        description="Design CNNs under a fixed time cost (He & Sun, CVPR 2015).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    design.add_commands(commands)
    service.add_commands(commands)
    jobs.add_commands(commands)
    interchange.add_commands(commands)
    profiles.add_commands(commands)
    studies.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (SpecError, UsageError, DomainError) as error:
        # the same errors the API turns into 4xx (app.errors) are one line and status 2 here
        print(f"isocost {args.command}: error: {error}", file=sys.stderr)
        return 2
    return code
