"""What the command groups share: the usage error, the spec arguments, and plain-text tables."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.arch.spec import Spec

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad input from the command line: exit status 2 and a one-line message."""


def spec_arguments(parser: argparse.ArgumentParser) -> None:
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


def load(args: argparse.Namespace, source: str | None = None) -> Spec:
    """The spec named by SPEC (or by `source`), with --input and --channels applied."""
    from app.arch.source import load_spec

    return load_spec(source or args.spec, args.input, args.channels)


def macs(n: int) -> str:
    """854954688 -> "854,954,688 MACs (855 M MACs)": exact, then readable once a prefix applies."""
    from app.arch.units import PREFIXES, format_macs, format_macs_exact

    exact = format_macs_exact(n)
    return exact if n < PREFIXES[-1][0] else f"{exact} ({format_macs(n)})"


def shape(channels: int, hw: tuple[int, int] | None) -> str:
    return f"{channels}x{hw[0]}x{hw[1]}" if hw else str(channels)


def table(rows: list[list[str]], right: set[int]) -> str:
    """Columns padded to their widest cell; the columns in `right` aligned right (numbers)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
